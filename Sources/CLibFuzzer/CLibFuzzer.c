/* Nothing to compile: the header declares libFuzzer's driver (see CLibFuzzer.h). */
#include "CLibFuzzer.h"
