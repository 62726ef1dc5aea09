import CLibFuzzer
import Foundation

// libFuzzer's loop (see scripts/fuzz.sh and Fuzz/PlanLoaderFuzz/main.swift).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, davBodyFuzz))
