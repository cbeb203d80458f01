import Foundation

/// A binary min-heap of (key, value) pairs for Dijkstra (lazy deletion by the caller).
struct MinHeap {
    private var keys: [Double] = []
    private var values: [Int] = []

    mutating func push(_ key: Double, _ value: Int) {
        keys.append(key); values.append(value)
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if keys[parent] <= keys[i] { break }
            keys.swapAt(parent, i); values.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> (Double, Int)? {
        guard let top = keys.first else { return nil }
        let v = values[0]
        let lastKey = keys.removeLast(), lastValue = values.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey; values[0] = lastValue
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < n, keys[l] < keys[smallest] { smallest = l }
                if r < n, keys[r] < keys[smallest] { smallest = r }
                if smallest == i { break }
                keys.swapAt(smallest, i); values.swapAt(smallest, i)
                i = smallest
            }
        }
        return (top, v)
    }
}
