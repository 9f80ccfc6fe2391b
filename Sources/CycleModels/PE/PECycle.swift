import SpikeForgeCore

/// The combinational signals of one cycle of `PECoreModel`, named as in the generated RTL. Each
/// stage's `evaluate…` sets its own from the registers (and from earlier stages' signals); the
/// `update…` functions then read only these and their own stage's registers.
struct PECycle {
    // Load (evaluated first: dispatch waits for load to take its spike).
    var mConsume = false, pConsume = false, xConsume = false, issue = false, ended = false, cont = false, aTake = false
    /// The row operation ends its run of `count`; with a window, also the window row; the entry.
    var runEnd = false, colEnd = false, last = false
    /// The axon-map entry the load stage takes (decoded only when `aTake`).
    var ax = AxonEntry(row: 0, group: 0, count: 0, layer: 0)
    /// The params word (asynchronous read; decoded only when the load stage uses it).
    var params = LayerParams.Decoded()
    // Dispatch.
    var head: UInt64 = 0, data: UInt64 = 0
    var memId = 0, addr = 0, layerField = 0
    var ctrlGo = false, spikeGo = false, axonLoad = false, axon = 0
    var cfgGo = false, readGo = false, startReset = false, startFlush = false
    /// The memory a configuration or read packet names, when word and part are in range.
    var okMem: PEMemory? = nil, okPart = 0, okWord = 0
    var statusOK = false, badAccess = false, ignored = false
    /// A configuration write's last part commits to `cfgWe`; a read-back reads `hostRe`.
    var cfgWe: PEMemory? = nil, hostRe: PEMemory? = nil
    // Compute.
    var active = false, group = 0, emit = false, sel = -1, selNeg = false, cDone = false
    var flushedNext: UInt64 = 0
    /// The write-back writes the z bank too (the V bank it always writes).
    var writeZ = false
    // Store.
    var outRoom = false, sConsume = false, sTake = false, pushSpike = false
    // Read-back: the flit the output FIFO takes this cycle, if any.
    var outPush: UInt64? = nil

    var anyWritable: Bool { okMem != nil }
    var ctrlStart: Bool { startReset || startFlush }
}
