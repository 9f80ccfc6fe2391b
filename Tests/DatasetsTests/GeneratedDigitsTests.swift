import Datasets
import Testing

@Suite struct GeneratedDigitsTests {
    @Test func sameSeedSameBytesAndSplitsDiffer() {
        let a = GeneratedDigits.make(count: 300, seed: 7)
        let b = GeneratedDigits.make(count: 300, seed: 7)
        let c = GeneratedDigits.make(count: 300, seed: 8)
        let t = GeneratedDigits.make(count: 300, seed: 7, split: "test")
        #expect(a == b)
        #expect(a.pixels != c.pixels)
        #expect(a.pixels != t.pixels)
        // A prefix of a larger set is the smaller set: each image has its own stream.
        #expect(GeneratedDigits.make(count: 600, seed: 7).prefix(300).pixels == a.pixels)
    }

    @Test func mnistShapedBalancedAndInked() {
        let s = GeneratedDigits.make(count: 1000, seed: 1)
        #expect(s.width == 28 && s.height == 28 && s.count == 1000)
        for d in 0 ..< 10 { #expect(s.labels.filter { $0 == d }.count == 100) }
        for i in 0 ..< s.count {
            let ink = s.image(i).filter { $0 > 128 }.count
            #expect(ink > 15 && ink < 400, "image \(i) (digit \(s.labels[i])) has \(ink) inked pixels")
        }
        // Same-class images differ (random pen, pose and noise).
        #expect(s.image(0) != s.image(10))
    }

    @Test func classesAreDistinguishable() {
        // Nearest class mean on held-out images: a sanity check that the glyphs differ.
        let train = GeneratedDigits.make(count: 2000, seed: 3)
        let test = GeneratedDigits.make(count: 500, seed: 3, split: "test")
        var means = [[Double]](repeating: [Double](repeating: 0, count: 784), count: 10)
        for i in 0 ..< train.count { for (k, p) in train.image(i).enumerated() { means[Int(train.labels[i])][k] += Double(p) / 200 } }
        var correct = 0
        for i in 0 ..< test.count {
            let x = Array(test.image(i)).map(Double.init)
            let d = means.map { m in zip(m, x).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
            if d.firstIndex(of: d.min()!)! == Int(test.labels[i]) { correct += 1 }
        }
        #expect(correct > 300, "nearest-mean accuracy \(correct)/500")
    }
}
