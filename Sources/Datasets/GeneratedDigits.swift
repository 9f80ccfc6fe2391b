import Dispatch
import Foundation
import SpikeForgeCore

/// SpikeForge's built-in dataset: handwritten-style digits 0–9, generated deterministically.
///
/// Each glyph is a set of strokes (polylines and elliptic arcs) in a unit box. Every image draws
/// its glyph through a random affine map (scale, aspect, rotation, shear, shift), with a random
/// pen width and per-stroke jitter, then adds background speckle and sometimes a stray stroke.
/// The result is a 28×28 MNIST-shaped set, so every command that takes `--data DIR` also runs
/// without it. The same seed gives the same bytes on every machine: each image draws from its
/// own SplitMix64 stream, seeded by `(seed, split, index)`.
public enum GeneratedDigits {
    public static let width = 28
    public static let height = 28

    /// Training and test splits. The test split uses a different stream from the training one.
    public static func make(count: Int, seed: UInt64, split: String = "train") -> ImageSet {
        precondition(count > 0)
        let splitSalt: UInt64 = split == "train" ? 0x7472_6169_6E00 : 0x7465_7374_0000
        var pixels = [UInt8](repeating: 0, count: count * width * height)
        var labels = [UInt8](repeating: 0, count: count)
        let chunk = 256
        pixels.withUnsafeMutableBufferPointer { px in
            labels.withUnsafeMutableBufferPointer { lb in
                let pxBase = px.baseAddress!, lbBase = lb.baseAddress!
                nonisolated(unsafe) let p = pxBase, l = lbBase
                DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { c in
                    for i in c * chunk ..< min(count, (c + 1) * chunk) {
                        var rng = SplitMix64(seed: seed ^ splitSalt &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
                        _ = rng.next()
                        let digit = i % 10  // balanced classes; the trainer shuffles
                        l[i] = UInt8(digit)
                        render(digit: digit, rng: &rng, into: p + i * width * height)
                    }
                }
            }
        }
        return ImageSet(width: width, height: height, pixels: pixels, labels: labels,
                        source: "generated:seed=\(seed),split=\(split),count=\(count)")
    }

    struct Segment { var ax, ay, bx, by: Float }

    /// The strokes of each digit, in a unit box with y pointing down.
    static let glyphs: [[[(Float, Float)]]] = {
        func arc(_ cx: Float, _ cy: Float, _ rx: Float, _ ry: Float, _ a0: Float, _ a1: Float, _ n: Int = 14) -> [(Float, Float)] {
            (0 ... n).map { k in
                let a = (a0 + (a1 - a0) * Float(k) / Float(n)) * .pi / 180
                return (cx + rx * cos(a), cy + ry * sin(a))
            }
        }
        return [
            [arc(0.5, 0.5, 0.28, 0.40, 0, 360, 20)],
            [[(0.32, 0.26), (0.54, 0.08), (0.54, 0.92)]],
            [arc(0.5, 0.32, 0.26, 0.22, 190, 380) + [(0.22, 0.92), (0.80, 0.92)]],
            [arc(0.48, 0.29, 0.25, 0.21, 210, 450), arc(0.48, 0.71, 0.28, 0.21, 270, 510)],
            [[(0.66, 0.92), (0.66, 0.08), (0.18, 0.64), (0.84, 0.64)]],
            [[(0.76, 0.08), (0.32, 0.08), (0.28, 0.46)] + arc(0.48, 0.66, 0.28, 0.26, 230, 495)],
            [arc(0.62, 0.48, 0.34, 0.42, 260, 180, 8) + arc(0.5, 0.68, 0.26, 0.24, 180, 540)],
            [[(0.20, 0.08), (0.80, 0.08), (0.42, 0.92)]],
            [arc(0.5, 0.29, 0.22, 0.21, 0, 360), arc(0.5, 0.71, 0.27, 0.22, 0, 360)],
            [arc(0.5, 0.32, 0.26, 0.24, 0, 360) + [(0.76, 0.32), (0.66, 0.92)]],
        ]
    }()

    static func uniform(_ rng: inout SplitMix64, _ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(rng.next() >> 40) * 0x1.0p-24
    }

    static func render(digit: Int, rng: inout SplitMix64, into out: UnsafeMutablePointer<UInt8>) {
        let scale = uniform(&rng, 15.0, 20.5)
        let aspect = uniform(&rng, 0.75, 1.15)
        let rot = uniform(&rng, -0.22, 0.22)
        let shear = uniform(&rng, -0.25, 0.25)
        let tx = 14 + uniform(&rng, -2.5, 2.5), ty = 14 + uniform(&rng, -2.5, 2.5)
        let pen = uniform(&rng, 0.9, 2.1)
        let (c, s) = (cos(rot), sin(rot))
        func map(_ p: (Float, Float), _ jx: Float, _ jy: Float) -> (Float, Float) {
            let x = (p.0 - 0.5) * scale * aspect + jx, y = (p.1 - 0.5) * scale + jy
            let xs = x + shear * y
            return (tx + c * xs - s * y, ty + s * xs + c * y)
        }
        var segs: [Segment] = []
        for stroke in glyphs[digit] {
            let jx = uniform(&rng, -0.8, 0.8), jy = uniform(&rng, -0.8, 0.8)
            var prev: (Float, Float)? = nil
            for p in stroke {
                let q = map(p, jx + uniform(&rng, -0.25, 0.25), jy + uniform(&rng, -0.25, 0.25))
                if let a = prev { segs.append(Segment(ax: a.0, ay: a.1, bx: q.0, by: q.1)) }
                prev = q
            }
        }
        if rng.chance(0.15) {
            // A stray stroke: a short line somewhere near the glyph.
            let x0 = uniform(&rng, 3, 25), y0 = uniform(&rng, 3, 25)
            let a = uniform(&rng, 0, 2 * .pi), len = uniform(&rng, 2, 6)
            segs.append(Segment(ax: x0, ay: y0, bx: x0 + len * cos(a), by: y0 + len * sin(a)))
        }
        let ink = uniform(&rng, 0.75, 1.0)
        for py in 0 ..< height {
            for px in 0 ..< width {
                let x = Float(px) + 0.5, y = Float(py) + 0.5
                var d2 = Float.infinity
                for g in segs {
                    let vx = g.bx - g.ax, vy = g.by - g.ay
                    let wx = x - g.ax, wy = y - g.ay
                    let l2 = vx * vx + vy * vy
                    let t = l2 > 0 ? min(1, max(0, (wx * vx + wy * vy) / l2)) : 0
                    let dx = wx - t * vx, dy = wy - t * vy
                    d2 = min(d2, dx * dx + dy * dy)
                }
                let d = d2.squareRoot()
                var v = ink * min(1, max(0, pen + 0.5 - d))
                if rng.chance(0.02) { v = max(v, uniform(&rng, 0.1, 0.6)) }
                out[py * width + px] = UInt8(min(255, max(0, (v * 255).rounded())))
            }
        }
    }
}
