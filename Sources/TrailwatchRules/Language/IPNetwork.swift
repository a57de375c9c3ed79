/// An IPv4 or IPv6 network for the `cidr` operator; a bare address is a /32 or /128.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let isIPv6: Bool
    /// The address, IPv4 in the low 32 bits of `low`.
    let high: UInt64
    let low: UInt64
    public let prefixLength: Int
    public let description: String

    /// Parses `a.b.c.d/n`, `x:y::z/n` or a bare address; host bits may be set. Nil when invalid.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(Array(parts[0].utf8)) else { return nil }
        let maxLength = address.isIPv6 ? 128 : 32
        var length = maxLength
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = Int(digits), n <= maxLength, !(digits.count > 1 && digits.first == "0") else { return nil }
            length = n
        }
        isIPv6 = address.isIPv6
        prefixLength = length
        (high, low) = IPNetwork.mask(address.high, address.low, length: length, isIPv6: address.isIPv6)
        description = text
    }

    static func mask(_ high: UInt64, _ low: UInt64, length: Int, isIPv6: Bool) -> (UInt64, UInt64) {
        if !isIPv6 {
            let m: UInt64 = length == 0 ? 0 : (0xFFFF_FFFF << UInt64(32 - length)) & 0xFFFF_FFFF
            return (0, low & m)
        }
        let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~0 << UInt64(64 - length))
        let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~0 << UInt64(128 - length))
        return (high & highMask, low & lowMask)
    }

    /// True when `address` (text of an IP address) is inside this network.
    public func contains(_ address: IPAddress) -> Bool { mask.contains(address) }

    /// The network without its text: plain data, for matching loops.
    public struct Mask: Sendable {
        let isIPv6: Bool
        let high: UInt64
        let low: UInt64
        let prefixLength: Int

        public func contains(_ address: IPAddress) -> Bool {
            guard address.isIPv6 == isIPv6 else { return false }
            let (h, l) = IPNetwork.mask(address.high, address.low, length: prefixLength, isIPv6: isIPv6)
            return h == high && l == low
        }
    }

    public var mask: Mask { Mask(isIPv6: isIPv6, high: high, low: low, prefixLength: prefixLength) }
}

/// An IPv4 or IPv6 address parsed from event text. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) stays IPv6.
public struct IPAddress: Sendable, Hashable {
    public let isIPv6: Bool
    let high: UInt64
    let low: UInt64

    /// Nil when `bytes` is not exactly an address (ports, host names, zone ids and leading zeros are not).
    public init?<Bytes: Collection<UInt8>>(_ bytes: Bytes) where Bytes.Index == Int {
        if let v4 = IPAddress.parseIPv4(bytes, bytes.startIndex, bytes.endIndex) {
            isIPv6 = false
            high = 0
            low = UInt64(v4)
            return
        }
        guard let (h, l) = IPAddress.parseIPv6(bytes) else { return nil }
        isIPv6 = true
        high = h
        low = l
    }

    static func parseIPv4<Bytes: Collection<UInt8>>(_ b: Bytes, _ start: Int, _ end: Int) -> UInt32?
    where Bytes.Index == Int {
        var value: UInt32 = 0
        var i = start
        for part in 0..<4 {
            let partStart = i
            var n: UInt32 = 0
            while i < end, b[i] >= 48, b[i] <= 57, i - partStart < 3 {
                n = n * 10 + UInt32(b[i] - 48)
                i += 1
            }
            let length = i - partStart
            guard length > 0, n <= 255, !(length > 1 && b[partStart] == 48) else { return nil }
            value = value << 8 | n
            if part < 3 {
                guard i < end, b[i] == UInt8(ascii: ".") else { return nil }
                i += 1
            }
        }
        return i == end ? value : nil
    }

    static func parseIPv6<Bytes: Collection<UInt8>>(_ b: Bytes) -> (UInt64, UInt64)? where Bytes.Index == Int {
        let start = b.startIndex, end = b.endIndex
        guard end - start >= 2 else { return nil }
        var groups: [UInt16] = []
        var gap: Int? = nil
        var i = start
        if b[i] == UInt8(ascii: ":") {
            guard b[i + 1] == UInt8(ascii: ":") else { return nil }
            gap = 0
            i += 2
            if i == end { return (0, 0) }
        }
        while i < end {
            // An embedded IPv4 address ends the text.
            var j = i
            while j < end, b[j] != UInt8(ascii: ":") { j += 1 }
            if j == end, b[i..<end].contains(UInt8(ascii: ".")) {
                guard let v4 = parseIPv4(b, i, end) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                i = end
                break
            }
            let length = j - i
            guard length >= 1, length <= 4 else { return nil }
            var v: UInt16 = 0
            for k in i..<j {
                let c = b[k]
                let d: UInt16
                switch c {
                case 48...57: d = UInt16(c - 48)
                case 65...70: d = UInt16(c - 55)
                case 97...102: d = UInt16(c - 87)
                default: return nil
                }
                v = v << 4 | d
            }
            groups.append(v)
            i = j
            if i < end {
                i += 1  // ':'
                guard i < end else { return nil }
                if b[i] == UInt8(ascii: ":") {
                    guard gap == nil else { return nil }
                    gap = groups.count
                    i += 1
                }
            }
        }
        if let gap {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for k in 0..<4 { high = high << 16 | UInt64(groups[k]) }
        for k in 4..<8 { low = low << 16 | UInt64(groups[k]) }
        return (high, low)
    }
}
