import CLibFuzzer
import Foundation

// libFuzzer's loop, with its flags from the command line (see scripts/fuzz.sh). A Swift `main`
// that hands over to LLVMFuzzerRunDriver, rather than libFuzzer's own `main`, since SwiftPM
// names an executable's entry point itself.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, planLoaderFuzz))
