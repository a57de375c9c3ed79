// Seeded randomness. Everything here uses only integer and basic IEEE arithmetic, so a seed gives the
// same bytes on every platform and Swift version (no SystemRandomNumberGenerator, no libm, no stdlib shuffle).

/// SplitMix64, used only to expand a seed into xoshiro state.
struct SplitMix64 {
    var state: UInt64

    init(_ seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna): fast, small state, good statistical quality.
struct Rand {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Independent streams from one seed: the entity pool, the schedule and the background each get their own,
    /// so, for example, the entities do not depend on the number of events.
    init(seed: UInt64, stream: UInt64) {
        var sm = SplitMix64(seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in 0..<n (Lemire's multiply-high; the tiny bias is irrelevant here). n must be > 0.
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in lo...hi.
    @inline(__always)
    mutating func between(_ lo: Int, _ hi: Int) -> Int {
        lo + below(hi - lo + 1)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// True with probability p/1000.
    @inline(__always)
    mutating func permille(_ p: Int) -> Bool {
        below(1000) < p
    }

    @inline(__always)
    mutating func pick<T>(_ array: [T]) -> T {
        array[below(array.count)]
    }

    /// Exponentially distributed with the given mean.
    mutating func exponential(mean: Double) -> Double {
        let u = Double((next() >> 11) + 1) * 0x1p-53  // (0, 1]
        return -naturalLog(u) * mean
    }

    /// Fisher–Yates, written out so the order never depends on the standard library's algorithm.
    mutating func shuffle<T>(_ array: inout [T]) {
        var i = array.count
        while i > 1 {
            let j = below(i)
            i -= 1
            array.swapAt(i, j)
        }
    }

    /// Index chosen with the given integer weights.
    mutating func weighted(_ weights: [Int], total: Int) -> Int {
        var r = below(total)
        for (i, w) in weights.enumerated() {
            if r < w { return i }
            r -= w
        }
        return weights.count - 1
    }
}

/// ln(x) for normal positive x, with only +, −, ×, ÷ (each correctly rounded), so results are identical everywhere.
func naturalLog(_ x: Double) -> Double {
    let bits = x.bitPattern
    var e = Int((bits >> 52) & 0x7FF) - 1023
    var m = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)  // [1, 2)
    if m > 1.4142135623730951 {
        m *= 0.5
        e += 1
    }
    let s = (m - 1) / (m + 1)  // |s| < 0.172
    let s2 = s * s
    var term = s
    var sum = s
    var k = 3.0
    for _ in 0..<10 {
        term *= s2
        sum += term / k
        k += 2
    }
    return 2 * sum + Double(e) * 0.6931471805599453
}
