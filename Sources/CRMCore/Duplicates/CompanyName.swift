import Foundation

/// Company names reduced to what identifies them: lower case, no accents, no punctuation, no legal form.
/// "ACME, Inc." and "Acme Inc" and "acme" all become "acme"; «ООО "Ромашка"» becomes "ромашка".
public enum CompanyName {
    /// Legal forms dropped before comparing (lower-cased, without dots).
    static let legalForms: Set<String> = [
        "llc", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "company", "plc", "llp", "lp",
        "gmbh", "ag", "kg", "ohg", "ug", "ev", "se", "mbh", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab",
        "as", "aps", "sp", "zoo", "kft", "sro", "pty", "pvt", "ооо", "зао", "оао", "пао", "ао", "ип", "тов", "нао",
    ]

    /// The comparable form of a name.
    public static func normalize(_ name: String) -> String {
        tokens(name).joined(separator: " ")
    }

    /// The words of a name after normalisation, legal forms removed (unless nothing else is left).
    public static func tokens(_ name: String) -> [String] {
        let folded = name.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
            .replacingOccurrences(of: "ё", with: "е")
        var words: [String] = []
        var current = ""
        for scalar in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if scalar == "." || scalar == "'" || scalar == "’" {
                continue // "L.L.C." → "llc", "O'Brien" → "obrien"
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        let meaningful = words.filter { !legalForms.contains($0) }
        return meaningful.isEmpty ? words : meaningful
    }

    /// Similarity of two normalised names in 0...1: the Dice coefficient of their letter pairs, so that
    /// small typos and word order barely matter ("Acme Robotics" ~ "Robotics Acme" ~ "Acme Robotcs").
    public static func similarity(_ a: String, _ b: String) -> Double {
        if a == b { return 1 }
        return similarity(sortedBigrams: sortedBigrams(a), sortedBigrams(b))
    }

    /// The Dice coefficient of two sorted bigram lists: a merge, no hashing (a duplicate check compares the
    /// probe's name with up to 1,500 candidates, so the probe's list is made once).
    static func similarity(sortedBigrams a: [UInt64], _ b: [UInt64]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var shared = 0, i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { shared += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return Double(2 * shared) / Double(a.count + b.count)
    }

    static func sortedBigrams(_ text: String) -> [UInt64] { bigrams(text).sorted() }

    private static func bigrams(_ text: String) -> [UInt64] {
        var result: [UInt64] = []
        for word in text.split(separator: " ") {
            let scalars = Array(word.unicodeScalars)
            if scalars.count == 1 { result.append(UInt64(scalars[0].value)) }
            for index in scalars.indices.dropLast() {
                result.append(UInt64(scalars[index].value) << 32 | UInt64(scalars[index + 1].value))
            }
        }
        return result
    }
}
