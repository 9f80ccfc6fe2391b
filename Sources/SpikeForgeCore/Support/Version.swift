/// The SpikeForge release. Written into every generated file header and into cache keys.
public enum SpikeForgeVersion {
    public static let string = "0.1.0"
}
