// The engine in one import, for the HTTP service, the CLI, the tools and the tests: every layer but the backends'
// own targets (only `DoorstepBackends` knows them), so code that imports this cannot name SQLite. Code inside the
// house imports the targets it needs one by one (Package.swift states which it may).
@_exported import DoorstepAnalysis
@_exported import DoorstepExport
@_exported import DoorstepGeometry
@_exported import DoorstepImport
@_exported import DoorstepModel
@_exported import DoorstepNetwork
@_exported import DoorstepBackends
@_exported import DoorstepStore
