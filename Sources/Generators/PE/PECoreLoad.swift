import HWIR
import SpikeForgeCore

/// Load: an axon-map entry (YOSO's spike-address SRAM, read in dispatch) or a reset / flush
/// sweep over a layer's groups becomes row operations, one per cycle; each issues the
/// synchronous read of the weight SRAM (the memory stage, `m_*`). The state or bias SRAM is read
/// as the product stage takes the row (`PECoreAdd.swift`).
///
/// With `maxKernel > 1` an entry iterates a kernel window (`AxonEntry`): runs of `count` row
/// operations, `windowCols` runs per window row, `windowRows` window rows. The weight row steps
/// by one through a window row and jumps to the row base plus `rowStride` at its end; the group
/// steps by one through a run, jumps back `count` from the run's start (`l_gcol_q`) at a run's
/// end and `groupStride` back from the window row's start (`l_gbase_q`) at a window row's end.
/// Only incremental adds: no multiplier.
extension PECoreBuilder {
    struct Load {
        let axonQ: Expr
        /// The params word (an asynchronous read: the layer of the load stage or of a read-back).
        let paramsWord: Expr
        /// The product stage takes the memory stage's row this cycle, the add stage the product
        /// stage's, compute the add stage's.
        let mConsume, pConsume, xConsume: Expr
        /// The synchronous read registers of the weight, state and bias SRAMs.
        let wQ, sQ, bQ: Expr
    }

    func load(_ r: Registers, _ d: Dispatch) -> Load {
        let axonAddress = d.head.field(PacketLayout.Spike.axon).bits(c.axonBits - 1, 0)
        let axonQ = syncRead(.axonMap, when: d.axonLoad | d.hostRe[.axonMap]!,
                             address: d.word[.axonMap]!.when(d.hostRe[.axonMap]!, else: axonAddress), into: "axon_q")
        let ax = fields(axonQ, c.axonFieldWidths)
        let (axRow, axGroup, axCount, axLayer) = (ax[0], ax[1], ax[2], ax[3])
        let axWindow = c.windowed ? (rows: ax[4], cols: ax[5]) : nil
        write(.axonMap, when: d.cfgWe[.axonMap]!, address: d.word[.axonMap]!, data: d.committed[.axonMap]!)

        // Layer parameters: a small register file read asynchronously.
        let pAddr = r.respAddr.bits(c.layerBits - 1, 0).when(r.respPending, else: r.lLayer)
        let pWord = b.node("params_word", b.asyncRead(mem[.params]!, address: pAddr))
        let pf = fields(pWord, c.paramFieldWidths)
        let (pTheta, pMode, pFirst, pCount) = (pf[0], pf[1], pf[2], pf[3])
        let pStrides = c.windowed ? (row: pf[4], group: pf[5]) : nil
        write(.params, when: d.cfgWe[.params]!, address: d.word[.params]!, data: d.committed[.params]!)

        // Compute works on the held group, or on the add stage's row when it takes it. A row of
        // the same group waits in the product stage until that group is written back (then the
        // bypass register has it), so the add stage never adds to a stale word.
        let xConsume = b.node("x_consume", r.xValid & ~r.hValid)
        let hazard = b.node("p_hazard", (r.xValid | r.hValid) & r.hGroup.when(r.hValid, else: r.xGroup).eq(r.pGroup))
        let pConsume = b.node("p_consume", r.pValid & (~r.xValid | xConsume) & ~hazard)
        let mConsume = b.node("m_consume", r.mValid & (~r.pValid | pConsume))
        let issue = b.node("issue", r.lActive & ~r.lLoad & r.lLeft.ne(0) & (~r.mValid | mConsume))
        // The last row operation of the entry (or sweep): the last of its run, and with windows
        // the last run of the last window row.
        let runEnd = c.windowed ? b.node("l_run_end", r.lLeft.eq(1)) : r.lLeft.eq(1)
        var window: Window?
        if let pStrides { window = self.window(runEnd: runEnd, strides: pStrides) }
        let ended = b.node("l_ended", r.lActive & ~r.lLoad & (r.lLeft.eq(0) | ((window?.last ?? runEnd) & issue)))
        let cont = b.node("l_continue", ended & r.lAll & r.lLayer.ne(c.layers - 1))
        b.assign(r.aTake, r.aValid & (~r.lActive | (ended & ~cont)))
        let ctrlStart = d.startReset | d.startFlush
        func kind(_ k: RowKind) -> Expr { .lit(k.rawValue, .uint(RowKind.bits)) }
        b.next(r.lActive, r.aTake | cont | ctrlStart | (r.lActive & ~ended))
        b.next(r.lKind, kind(.add).when(r.aTake, else: kind(.reset).when(d.startReset, else: kind(.flush))), when: r.aTake | ctrlStart)
        if let w = window, let axWindow {
            b.next(r.lRow, axRow.when(r.aTake, else: w.rowNextBase.when(w.colEnd, else: r.lRow + 1)), when: r.aTake | issue)
            let stepped = (w.groupNextBase.when(w.colEnd, else: w.groupNextCol)).when(runEnd, else: r.lGroup + 1)
            b.next(r.lGroup, axGroup.when(r.aTake, else: pFirst.when(r.lLoad, else: stepped)), when: r.aTake | r.lLoad | issue)
            // An empty window is an empty entry.
            let first = axCount.when(axWindow.rows.ne(0) & axWindow.cols.ne(0), else: .lit(0, axCount.type))
            b.next(r.lLeft, first.when(r.aTake, else: pCount.when(r.lLoad, else: w.count.when(runEnd & ~w.last, else: r.lLeft - 1))),
                   when: r.aTake | r.lLoad | issue)
            windowCounters(w, r, issue: issue, runEnd: runEnd, ctrlStart: ctrlStart, axGroup: axGroup, axRow: axRow, axCount: axCount, axWindow: axWindow)
        } else {
            b.next(r.lRow, axRow.when(r.aTake, else: r.lRow + 1), when: r.aTake | issue)
            b.next(r.lGroup, axGroup.when(r.aTake, else: pFirst.when(r.lLoad, else: r.lGroup + 1)), when: r.aTake | r.lLoad | issue)
            b.next(r.lLeft, axCount.when(r.aTake, else: pCount.when(r.lLoad, else: r.lLeft - 1)), when: r.aTake | r.lLoad | issue)
        }
        let layerSel = d.layerField.bits(c.layerBits - 1, 0)
        b.next(r.lLayer, axLayer.when(r.aTake, else: (r.lLayer + 1).when(cont, else: Expr.lit(0, .uint(c.layerBits)).when(d.startReset, else: layerSel))),
               when: r.aTake | cont | ctrlStart)
        b.next(r.lNeg, r.aNeg, when: r.aTake)
        b.next(r.lMult, r.aMult, when: r.aTake)
        b.next(r.lAll, d.startReset, when: r.aTake | ctrlStart)
        b.next(r.lLoad, cont | ctrlStart)

        // Memory stage: the weight read, held until the product stage takes it; the state (or on
        // a reset the bias) is read as the product stage takes the row, so it is as fresh as can be.
        let isAddL = r.lKind.eq(RowKind.add.rawValue), isResetM = r.mKind.eq(RowKind.reset.rawValue)
        let wQ = syncRead(.weights, when: (issue & isAddL) | d.hostRe[.weights]!,
                          address: d.word[.weights]!.when(d.hostRe[.weights]!, else: r.lRow), into: "w_q")
        // A layer that never fires (θ = 0) needs no z: that bank is not read for it.
        let sRead = b.node("s_read", mConsume & ~isResetM)
        let sQ = stateRead(v: sRead | d.hostRe[.state]!, z: (sRead & ~r.mTheta.eq(0)) | d.hostRe[.state]!,
                           address: d.word[.state]!.when(d.hostRe[.state]!, else: r.mGroup))
        let bQ = syncRead(.bias, when: (mConsume & isResetM) | d.hostRe[.bias]!,
                          address: d.word[.bias]!.when(d.hostRe[.bias]!, else: r.mGroup), into: "b_q")
        write(.weights, when: d.cfgWe[.weights]!, address: d.word[.weights]!, data: d.committed[.weights]!)
        write(.bias, when: d.cfgWe[.bias]!, address: d.word[.bias]!, data: d.committed[.bias]!)
        b.next(r.mValid, issue | (r.mValid & ~mConsume))
        b.next(r.mKind, r.lKind, when: issue)
        b.next(r.mGroup, r.lGroup, when: issue)
        b.next(r.mNeg, r.lNeg, when: issue)
        b.next(r.mMult, r.lMult, when: issue)
        b.next(r.mTheta, pTheta, when: issue)
        b.next(r.mMode, pMode, when: issue)
        return Load(axonQ: axonQ, paramsWord: pWord, mConsume: mConsume, pConsume: pConsume, xConsume: xConsume, wQ: wQ, sQ: sQ, bQ: bQ)
    }
}

/// The window iteration of the load stage (`maxKernel > 1`).
extension PECoreBuilder {
    struct Window {
        /// Registers: the entry's count and window columns, the columns and rows left
        /// (counting the current one), the weight row and group of the window row's start,
        /// and the group of the run's start.
        let count, cols, colsLeft, rowsLeft, rowBase, groupBase, groupCol: Expr
        /// The current run is the window row's last; the current row operation is the entry's last.
        let colEnd, last: Expr
        /// The starts of the next window row (weight row, group) and of the next run (group).
        let rowNextBase, groupNextBase, groupNextCol: Expr
    }

    func window(runEnd: Expr, strides: (row: Expr, group: Expr)) -> Window {
        let kT = HWType.uint(c.windowBits)
        let count = b.reg("l_count_q", .uint(c.countBits)), cols = b.reg("l_cols_q", kT)
        let colsLeft = b.reg("l_cols_left_q", kT), rowsLeft = b.reg("l_rows_left_q", kT)
        let rowBase = b.reg("l_row_base_q", .uint(c.rowBits)), groupBase = b.reg("l_gbase_q", .uint(c.groupBits))
        let groupCol = b.reg("l_gcol_q", .uint(c.groupBits))
        let colEnd = b.node("l_col_end", runEnd & colsLeft.eq(1))
        let last = b.node("l_last", colEnd & rowsLeft.eq(1))
        return Window(count: count, cols: cols, colsLeft: colsLeft, rowsLeft: rowsLeft, rowBase: rowBase, groupBase: groupBase, groupCol: groupCol,
                      colEnd: colEnd, last: last,
                      rowNextBase: b.node("l_row_next_base", rowBase + strides.row),
                      groupNextBase: b.node("l_group_next_base", groupBase - strides.group),
                      groupNextCol: b.node("l_group_next_col", groupCol - count.resized(c.groupBits)))
    }

    /// The window's registers: loaded from the entry, a sweep's window is 1 × 1, and each run's
    /// and window row's end steps them.
    func windowCounters(_ w: Window, _ r: Registers, issue: Expr, runEnd: Expr, ctrlStart: Expr, axGroup: Expr, axRow: Expr, axCount: Expr,
                        axWindow: (rows: Expr, cols: Expr)) {
        let one = Expr.lit(1, w.cols.type)
        let nextRun = b.node("l_next_run", issue & runEnd & ~w.last)
        let nextRow = b.node("l_next_row", nextRun & w.colEnd)
        b.next(w.count, axCount, when: r.aTake)
        b.next(w.cols, axWindow.cols, when: r.aTake)
        b.next(w.colsLeft, axWindow.cols.when(r.aTake, else: one.when(ctrlStart, else: w.cols.when(w.colEnd, else: w.colsLeft - 1))),
               when: r.aTake | ctrlStart | nextRun)
        b.next(w.rowsLeft, axWindow.rows.when(r.aTake, else: one.when(ctrlStart, else: w.rowsLeft - 1)), when: r.aTake | ctrlStart | nextRow)
        b.next(w.rowBase, axRow.when(r.aTake, else: w.rowNextBase), when: r.aTake | nextRow)
        b.next(w.groupBase, axGroup.when(r.aTake, else: w.groupNextBase), when: r.aTake | nextRow)
        b.next(w.groupCol, axGroup.when(r.aTake, else: w.groupNextBase.when(w.colEnd, else: w.groupNextCol)), when: r.aTake | nextRun)
    }
}
