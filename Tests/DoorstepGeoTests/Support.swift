import Foundation

/// The package root (Tests/DoorstepGeoTests/Support.swift is three levels down): tests in any subfolder find
/// geodata/ and Tests/Fixtures/ from here, not by counting their own file's depth.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
