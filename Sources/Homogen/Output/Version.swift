/// The software version recorded in every run folder.
public enum HomogenVersion {
    public static let current = "0.1.0"
}
