import Compiler
import Testing
