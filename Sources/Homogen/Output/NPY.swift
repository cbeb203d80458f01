import Foundation

/// NumPy's `.npy` format, so that `numpy.load` reads particle positions directly and homogen reads
/// NumPy's arrays: written as version 1.0 (little-endian float64, C order), read in versions 1–3
/// with its dtype and shape checked; and the raw little-endian float64 coding that checkpoints use
/// (`positions-HASH.bin`). The one place where float64 values become bytes and back. Written here
/// because no Swift package reads or writes it; the format is a 10-byte preamble and a
/// Python-dict header padded to 64 bytes.
public enum NPY {
    public static func encode(_ values: [Double], shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == values.count)
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            var littleEndian = buffer.map { $0.bitPattern.littleEndian }
            data.append(Data(bytes: &littleEndian, count: littleEndian.count * 8))
        }
        return data
    }

    /// Raw little-endian float64 bytes of `count` values.
    public static func encodeFloat64(_ p: UnsafePointer<Double>, count: Int) -> Data {
        var bytes = Data(count: count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for i in 0..<count { raw.storeBytes(of: p[i].bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self) }
        }
        return bytes
    }

    /// Reads `count` raw little-endian float64 values (`data` holds at least 8 · count bytes).
    public static func decodeFloat64(_ data: Data, into p: UnsafeMutablePointer<Double>, count: Int) {
        precondition(data.count >= count * 8)
        data.withUnsafeBytes { raw in
            for i in 0..<count {
                p[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
            }
        }
    }

    /// A .npy file that cannot be read: why.
    public struct FormatError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Values (C order) and shape of a .npy array of float64, float32, int64 or int32
    /// (little-endian), versions 1 to 3; C or Fortran order in up to two dimensions.
    public static func decode(_ data: Data) throws(FormatError) -> ([Double], [Int]) {
        guard data.prefix(6).elementsEqual([0x93] + Array("NUMPY".utf8)) else { throw FormatError(reason: "not a .npy file") }
        guard data.count >= 10 else { throw FormatError(reason: "truncated .npy header (the file ends after \(data.count) bytes)") }
        let bytes = [UInt8](data)
        let major = bytes[6]
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else if major == 2 || major == 3, bytes.count >= 12 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        } else {
            throw FormatError(reason: "unsupported .npy version \(major)")
        }
        guard bytes.count >= start + headerLength else { throw FormatError(reason: "truncated .npy header") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrText = field("descr"), let q1 = descrText.firstIndex(of: "'"),
              let q2 = descrText[descrText.index(after: q1)...].firstIndex(of: "'") else {
            throw FormatError(reason: "no dtype in the .npy header")
        }
        let descr = String(descrText[descrText.index(after: q1)..<q2])
        let fortran = field("fortran_order")?.hasPrefix("True") ?? false
        guard let shapeText = field("shape"), let open = shapeText.firstIndex(of: "("),
              let close = shapeText.firstIndex(of: ")") else { throw FormatError(reason: "no shape in the .npy header") }
        let entries = shapeText[shapeText.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = [], count = 1
        for entry in entries {
            guard let n = Int(entry), n >= 0 else {
                throw FormatError(reason: "the .npy header's shape has an entry '\(entry)' that is not a size (a whole number from 0)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            // (The payload check below then refuses any shape larger than the file.)
            guard !overflow, product <= Int.max / 8 else {
                throw FormatError(reason: "the .npy header's shape (\(entries.joined(separator: ", "))) holds more values than any file can")
            }
            shape.append(n)
            count = product
        }
        let width: Int
        switch descr {
        case "<f8", "<i8": width = 8
        case "<f4", "<i4": width = 4
        default: throw FormatError(reason: "unsupported .npy dtype '\(descr)' (use float64, float32, int64 or int32, little-endian)")
        }
        let payload = start + headerLength
        guard bytes.count - payload >= count * width else {
            throw FormatError(reason: "truncated: the header announces \(count) values, the file holds \((bytes.count - payload) / width)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for k in 0..<count {
                let o = payload + k * width
                switch descr {
                case "<f8": values[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                case "<f4": values[k] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
                case "<i8": values[k] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                default: values[k] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                }
            }
        }
        if fortran && shape.count > 2 { throw FormatError(reason: "a Fortran-order .npy array of more than two dimensions") }
        if fortran && shape.count == 2 {
            let (r, c) = (shape[0], shape[1])
            var t = values
            for i in 0..<r { for j in 0..<c { t[i * c + j] = values[j * r + i] } }
            values = t
        }
        return (values, shape)
    }
}
