// The hand-over to libFuzzer that both fuzz targets share. A plain build compiles nothing here.
#if CONNECTORD_FUZZ
import Glibc

// `Fuzz/run` builds with `-Xswiftc -sanitize=fuzzer,address -Xswiftc -DCONNECTORD_FUZZ`: flags that every build plan
// of SwiftPM sees alike (its `--sanitize` options left the plugin-tools plan without coverage counters, and each build
// overwrote the other's objects). A fuzz target's `main` is then Swift's, so it hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Runs libFuzzer with this program's arguments on `test` and exits with its status.
public func runLibFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, test))
}
#endif
