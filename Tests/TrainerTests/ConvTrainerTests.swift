import Datasets
import Foundation
import SpikeForgeCore
import Testing
@testable import Trainer

/// Convolution and pooling in the trainer (SPEC §6): the float forward pass is the integer
/// model exactly, the GEMM products equal direct loops, both gradients train, the export has the
/// integer model's layout, and the same seed gives the same bits.
@Suite struct ConvTrainerTests {
    /// Generated digits shrunk to 12 × 12 (2 × 2 maxima of the 28 × 28 digits, one border pixel
    /// cut): small enough for quick tests, still learnable.
    static func small(_ set: ImageSet) -> ImageSet {
        var px: [UInt8] = []
        px.reserveCapacity(set.count * 144)
        for i in 0 ..< set.count {
            let img = Array(set.image(i))
            for y in 1 ..< 13 {
                for x in 1 ..< 13 {
                    px.append(max(img[(2 * y) * 28 + 2 * x], img[(2 * y) * 28 + 2 * x + 1], img[(2 * y + 1) * 28 + 2 * x], img[(2 * y + 1) * 28 + 2 * x + 1]))
                }
            }
        }
        return ImageSet(width: 12, height: 12, pixels: px, labels: set.labels, source: set.source + "/12x12")
    }

    static let train = small(GeneratedDigits.make(count: 2048, seed: 11))
    static let test = small(GeneratedDigits.make(count: 500, seed: 11, split: "test"))

    static func config(_ arch: String, _ g: GradientMode = .float, mode: NeuronMode = .reluFloor, seed: UInt64 = 3, threads: Int = 2) throws -> TrainingConfig {
        var c = TrainingConfig(architecture: try Architecture.parse(arch))
        c.epochs = 3
        c.gradient = g
        c.mode = mode
        c.seed = seed
        c.threads = threads
        c.activationLevels = 6
        c.augmentShift = 1
        return c
    }

    /// The trainer's forward pass on `n` images of `set`: each layer's pre-activation and the
    /// hidden activations.
    static func forward(_ t: Trainer, _ set: ImageSet, _ n: Int) -> (pres: [[Float]], acts: [[Float]]) {
        let sizes = t.config.architecture.sizes
        var acts: [[Float]] = [set.pixels.prefix(n * set.imageSize).map { Float(IntegerModel.level($0, inputBits: t.config.inputBits)) }]
        var pres: [[Float]] = []
        for (k, l) in t.layers.enumerated() {
            var pre = [Float](repeating: 0, count: n * sizes[k + 1])
            acts[k].withUnsafeBufferPointer { A in pre.withUnsafeMutableBufferPointer { P in l.forward(A.baseAddress!, batch: n, into: P.baseAddress!) } }
            pres.append(pre)
            if k < t.layers.count - 1 { acts.append(t.activate(pre, layer: k)) }
        }
        return (pres, acts)
    }

    /// After training (so that biases and weights are anything), every pre-activation and
    /// spike count of the trainer equals `IntegerModel.trace`, layer by layer, image by image.
    @Test(arguments: [(NeuronMode.reluFloor, GradientMode.float), (.reluFloor, .spike), (.relu, .float)])
    func forwardIsTheIntegerModel(_ mode: NeuronMode, _ g: GradientMode) throws {
        let t = try Trainer(config: Self.config("12x12-4C3-P2-6C2-16-10", g, mode: mode), train: Self.train.prefix(512))
        t.trainEpoch()
        let m = t.integerModel()
        #expect(m.layers.map(\.name) == ["conv1", "pool2", "conv3", "fc4", "fc5"])
        #expect(m.layers.dropLast().allSatisfy { $0.mode == mode && $0.flush == (mode != .reluFloor) })
        #expect(m.layers[0].bias.contains { $0 != 0 }, "the test wants nonzero biases")
        let n = 40
        let (pres, acts) = Self.forward(t, Self.test, n)
        var spikes = 0.0
        for i in 0 ..< n {
            let tr = m.trace(levels: m.levels(Self.test.image(i)))
            for k in 0 ..< m.layers.count {
                let o = m.layers[k].outputs
                let got = pres[k][i * o ..< (i + 1) * o].map { Int64(exactly: $0) }
                #expect(got == tr.preActivations[k].map { Optional($0) }, "image \(i) layer \(m.layers[k].name): pre-activations")
                if k < m.layers.count - 1 {
                    let z = acts[k + 1][i * o ..< (i + 1) * o].map { Int64(exactly: $0) }
                    #expect(z == tr.counts[k].map { Optional($0) }, "image \(i) layer \(m.layers[k].name): counts")
                    spikes += Double(tr.counts[k].reduce(0, +))
                }
            }
        }
        #expect(spikes > 0)
    }

    /// The GEMM forward and backward of a conv layer against direct loops, on integers (so that
    /// float sums are exact and the comparison is equality), with two blocks and odd batch sizes.
    @Test(arguments: [1, 2])
    func convProductsEqualDirectLoops(_ parts: Int) {
        var rng = SplitMix64(seed: 77)
        let I = FeatureShape(channels: 3, height: 7, width: 6), k = 3, O = 5
        let l = ConvLayer(input: I, channels: O, kernel: k, wBits: 8, initLimit: 40, parts: parts, rng: &rng)
        l.b = (0 ..< O).map { _ in Float(Int(rng.next() % 41) - 20) }
        l.bq = l.b
        let out = l.output
        for batch in [1, 3, 8] {
            let x = (0 ..< batch * I.count).map { _ in Float(rng.next() % 4 == 0 ? Int(rng.next() % 9) : 0) }
            let g = (0 ..< batch * out.count).map { _ in Float(Int(rng.next() % 7) - 3) }
            var y = [Float](repeating: .nan, count: batch * out.count)
            var gi = [Float](repeating: .nan, count: batch * I.count)
            x.withUnsafeBufferPointer { X in y.withUnsafeMutableBufferPointer { Y in l.forward(X.baseAddress!, batch: batch, into: Y.baseAddress!) } }
            x.withUnsafeBufferPointer { X in g.withUnsafeBufferPointer { G in gi.withUnsafeMutableBufferPointer { GI in
                l.backward(input: X.baseAddress!, gradOut: G.baseAddress!, batch: batch, scale: 0.5, gradIn: GI.baseAddress!)
            } } }
            var ry = [Float](repeating: 0, count: batch * out.count), rgi = [Float](repeating: 0, count: batch * I.count)
            var rgw = [Float](repeating: 0, count: l.w.count), rgb = [Float](repeating: 0, count: O)
            for r in 0 ..< batch {
                for o in 0 ..< O {
                    for oy in 0 ..< out.height {
                        for ox in 0 ..< out.width {
                            let yi = r * out.count + out.index(o, oy, ox)
                            var s = l.bq[o]
                            rgb[o] += 0.5 * g[yi]
                            for c in 0 ..< I.channels {
                                for ky in 0 ..< k {
                                    for kx in 0 ..< k {
                                        let wi = ((o * I.channels + c) * k + ky) * k + kx, xi = r * I.count + I.index(c, oy + ky, ox + kx)
                                        s += l.wq[wi] * x[xi]
                                        rgw[wi] += 0.5 * g[yi] * x[xi]
                                        rgi[xi] += l.wq[wi] * g[yi]
                                    }
                                }
                            }
                            ry[yi] = s
                        }
                    }
                }
            }
            #expect(y == ry, "forward, batch \(batch)")
            #expect(gi == rgi, "input gradient, batch \(batch)")
            #expect(l.gw == rgw, "weight gradient, batch \(batch)")
            #expect(l.gb == rgb, "bias gradient, batch \(batch)")
        }
    }

    @Test func poolSumsAndBroadcasts() {
        let I = FeatureShape(channels: 2, height: 4, width: 6)
        let p = PoolLayer(input: I, size: 2, parts: 2)
        #expect(p.output == FeatureShape(channels: 2, height: 2, width: 3))
        let batch = 3
        let x = (0 ..< batch * I.count).map { Float($0 % 7) }
        var y = [Float](repeating: .nan, count: batch * p.outputSize)
        x.withUnsafeBufferPointer { X in y.withUnsafeMutableBufferPointer { Y in p.forward(X.baseAddress!, batch: batch, into: Y.baseAddress!) } }
        let g = (0 ..< batch * p.outputSize).map { Float($0) - 10 }
        var gi = [Float](repeating: .nan, count: batch * I.count)
        g.withUnsafeBufferPointer { G in gi.withUnsafeMutableBufferPointer { GI in
            x.withUnsafeBufferPointer { X in p.backward(input: X.baseAddress!, gradOut: G.baseAddress!, batch: batch, scale: 1, gradIn: GI.baseAddress!) }
        } }
        for r in 0 ..< batch {
            for c in 0 ..< 2 {
                for y0 in 0 ..< 4 {
                    for x0 in 0 ..< 6 {
                        let o = r * p.outputSize + p.output.index(c, y0 / 2, x0 / 2)
                        #expect(gi[r * I.count + I.index(c, y0, x0)] == g[o])
                    }
                }
                for oy in 0 ..< 2 {
                    for ox in 0 ..< 3 {
                        var s: Float = 0
                        for dy in 0 ..< 2 { for dx in 0 ..< 2 { s += x[r * I.count + I.index(c, 2 * oy + dy, 2 * ox + dx)] } }
                        #expect(y[r * p.outputSize + p.output.index(c, oy, ox)] == s)
                    }
                }
            }
        }
    }

    /// Float and spike gradients both train a small conv net in a few seconds.
    @Test(arguments: [GradientMode.float, .spike])
    func convNetLearns(_ g: GradientMode) throws {
        var c = try Self.config("12x12-8C3-P2-10", g)
        c.learningRate = 1
        let t = try Trainer(config: c, train: Self.train)
        let first = t.trainEpoch(test: Self.test)
        t.trainEpoch()
        let last = t.trainEpoch(test: Self.test)
        #expect(last.loss < first.loss * 0.8, "\(g): loss \(first.loss) → \(last.loss)")
        #expect((last.testAccuracy ?? 0) > 0.55, "\(g): integer test accuracy \(last.testAccuracy ?? 0), chance is 0.1")
        #expect(last.relativeBackwardOps > 0 && last.relativeBackwardOps.isFinite)
        #expect(t.thresholds.count == 2 && t.thresholds.allSatisfy { $0 >= 1 })
        // The accuracy is the integer model's: the reference trace gives the same predictions.
        let m = t.integerModel()
        let correct = (0 ..< Self.test.count).filter { m.trace(levels: m.levels(Self.test.image($0))).prediction == Int(Self.test.labels[$0]) }.count
        #expect(Double(correct) / Double(Self.test.count) == last.testAccuracy)
    }

    /// The export: kinds, maps, kernels `(out, in, kh, kw)` as the layer holds them, one bias per
    /// channel repeated at every position, pooling with no weights and zero bias.
    @Test func exportHasTheIntegerModelsLayout() throws {
        let t = try Trainer(config: Self.config("12x12-4C3-P2-6C2-16-10"), train: Self.train.prefix(256))
        t.trainEpoch()
        let m = t.integerModel()
        let conv = try #require(t.layers[2] as? ConvLayer)
        #expect(m.layers[2].kind == .conv(kernel: 2) && m.layers[2].inputShape == FeatureShape(channels: 4, height: 5, width: 5))
        #expect(m.layers[2].outputShape == FeatureShape(channels: 6, height: 4, width: 4))
        #expect(m.layers[2].weights == conv.wq.map { Int32($0) } && m.layers[2].weights.count == 6 * 4 * 2 * 2)
        #expect(m.layers[2].bias == conv.bq.flatMap { [Int64](repeating: Int64($0), count: 16) })
        #expect(m.layers[1].kind == .pool(size: 2) && m.layers[1].weights.isEmpty && m.layers[1].bias == [Int64](repeating: 0, count: 100))
        #expect(m.layers[1].threshold == t.thresholds[1])
        #expect(m.architecture == t.config.architecture)
    }

    @Test func sameSeedGivesIdenticalBits() throws {
        func run(_ seed: UInt64) throws -> [[Int32]] {
            var c = try Self.config("12x12-4C3-P2-10", .spike, seed: seed)
            c.epochs = 1
            let t = try Trainer(config: c, train: Self.train.prefix(512))
            t.trainEpoch()
            return t.integerModel().layers.map(\.weights) + [t.thresholds.map { Int32($0) }]
        }
        let a = try run(9), b = try run(9), c = try run(10)
        #expect(a == b)
        #expect(a != c)
    }

    /// Memory is planned per stored kernel weight, not per unrolled synapse, and per position.
    @Test func estimatedBytesCountKernelsOnceAndPositions() throws {
        var c = try Self.config("28x28-15C5-P2-40C5-P2-300-10")
        c.threads = 2
        let a = c.architecture
        let bytes = c.estimatedBytes(trainImages: 60_000)
        let parameters = (0 ..< a.layerCount).map { a.parameters($0) }.reduce(0, +)
        let s = a.sizes
        let asIfDense = zip(s, s.dropFirst()).map { $0 * $1 }.reduce(0, +)
        #expect(bytes > Double(32 * parameters + 12 * c.batchSize * s.reduce(0, +) + 60_000 * 785))
        #expect(bytes < Double(32 * asIfDense) / 5, "\(bytes) bytes")
        #expect(bytes < 150e6, "\(bytes) bytes")
    }
}
