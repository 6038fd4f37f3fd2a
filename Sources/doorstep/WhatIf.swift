import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct WhatIf: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "whatif",
            abstract: "Coverage with hypothetical stations added and existing ones closed (nothing is written).",
            discussion: """
            Example: doorstep whatif --add 118.79,32.05 --close S12 --preset 10min --walk --db city.sqlite
            Added sites are whatif-1, whatif-2 … in order; they qualify whatever --kind, --service or --open-at says,
            and reach the uniform radius (--radius, --preset), else 500 m. Computed incrementally from the coverage
            as it is. --format json writes the answer of GET /v1/whatif: {query, generation, summary, count, rows,
            changes}; --format geojson the scenario: the added sites and the compounds whose status changed.
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(parsing: .unconditionalSingleValue,
                help: "A hypothetical station at LON,LAT (WGS84; repeat, or separate with ';'; at most \(WhatIfUseCase.Options.addedSites)).")
        var add: [String] = []

        @Option(help: "Close the station with this id (repeat, or separate with ','; at most \(WhatIfUseCase.Options.closedStations)).")
        var close: [String] = []

        @Option(help: "The kind of the added sites (default: the most common kind among the qualifying stations).")
        var addKind: String?

        @Option(help: "\(CoverageUseCase.Options.levels.map(\.rawValue).joined(separator: ", ")) (default \(CoverageUseCase.Options.defaultLevel.rawValue))")
        var by: String?

        @Option(help: "table, json, csv or geojson (the scenario)")
        var format: OutputFormat = .table

        @Option(help: "Also write the scenario as a workbook (.xlsx): a sheet of the changes, then coverage's sheets after the change.")
        var out: String?

        @Option(help: "The workbook's sheet names and headers: zh (default) or en.")
        var lang: String?

        func options() throws -> WhatIfUseCase.Options {
            try WhatIfUseCase.Options(CoverageUseCase.Options(analysis.options(), by: by), add: add, close: close, addKind: addKind)
        }

        func validate() throws {
            try validating {
                _ = try options()
                _ = try workbookLanguage()
                if let out, !out.lowercased().hasSuffix(".xlsx") {
                    throw UseCaseError(.invalid, ["out"], "the scenario workbook is an .xlsx file; the other formats go to standard output with --format")
                }
            }
        }

        func workbookLanguage() throws -> ExportLanguage { try WhatIfUseCase.workbookLanguage(lang) }

        func run() async throws {
            console.start()
            try cli {
                let options = try options()
                let source = try database.source(walk: options.coverage.analysis.walk, snapLimit: options.coverage.analysis.snapLimit)
                let result = try WhatIfUseCase.run(options, on: source)
                if let out {
                    let language = try workbookLanguage()
                    let written = try AtomicOutput.write(to: out) { try result.workbook(on: source, to: $0, language: language) }
                    FileHandle.standardError.write(Data("doorstep: wrote the scenario to \(out) (\(written.features) compounds)\n".utf8))
                }
                switch format {
                case .json: print(result.json.jsonText)
                case .geojson: print(try result.scenario(on: source).jsonText)
                case .csv, .table:
                    try show(result, source: source, format: format)
                    if format == .table {
                        let w = result.whatIf
                        let delta = w.after.total.householdsCovered - w.before.total.householdsCovered
                        print("what-if: \(w.added.count) added, \(w.closed.count) closed; \(w.newlyCovered.count) compounds newly covered, "
                              + "\(w.newlyUncovered.count) newly uncovered; households covered \(delta >= 0 ? "+" : "")\(delta)")
                    }
                }
            }
        }
    }
}
