import ArgumentParser
public struct SpikeForge: ParsableCommand { public init() {} }
