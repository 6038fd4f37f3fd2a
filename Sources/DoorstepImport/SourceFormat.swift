import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import CGDAL
import Foundation

/// Which reader serves an input file, judged from its content, not its name (README, "Import").
///
/// GeoJSON and CSV keep Doorstep's own readers (they are benchmarked and give line-exact messages); every other
/// format GDAL identifies goes through `GDALSource`.
package enum SourceFormat: Equatable, Sendable {
    case geoJSON
    case csv
    /// `driver` is GDAL's short name ("ESRI Shapefile", "GPKG", "LIBKML", "XLSX" …); `path` is what GDAL opens
    /// (`/vsizip/…` for a zip that is not itself a format, such as a zipped Shapefile).
    case gdal(driver: String, path: String)
    /// A format GDAL reads that an import does not accept (`allowedDrivers`).
    case refused(driver: String)

    /// GDAL drivers whose formats Doorstep's own readers serve.
    private static let ownReaders: Set<String> = ["GeoJSON", "GeoJSONSeq", "ESRIJSON", "TopoJSON", "CSV"]

    /// The GDAL drivers an import may use: formats that hold their own data. Left out on purpose: VRT (it reads other
    /// files and URLs, so a file handed over could pull a server's private files or an internal URL into a public
    /// database), GML (xlink references it may fetch), and every network or database driver.
    package static let allowedDrivers: [String] = ["ESRI Shapefile", "GPKG", "LIBKML", "KML", "XLSX", "XLS", "ODS", "DXF",
                                           "FlatGeobuf", "MapInfo File", "OpenFileGDB"]

    package static func detect(_ url: URL) -> SourceFormat {
        let head = (try? FileHandle(forReadingFrom: url)).flatMap { handle -> Data? in
            defer { try? handle.close() }
            return try? handle.read(upToCount: 4096)
        } ?? Data()
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let first = bytes.first(where: { !(" \t\r\n".utf8.contains($0)) })
        if first == UInt8(ascii: "{") { return .geoJSON }

        let ext = url.pathExtension.lowercased()
        let driver = GDAL.identify(url.path)
        let isZip = head.starts(with: [0x50, 0x4B, 0x03, 0x04])
        if let driver, driver == "LIBKML" || driver == "KML", isZip, let kml = mainKML(url.path) {
            // A KMZ read as a whole loses the <Schema> its ExtendedData refers to (LIBKML 1.3): read its KML inside.
            return .gdal(driver: driver, path: kml)
        }
        if driver == "ESRI Shapefile", isZip {
            // A `.shp.zip` (as ogr2ogr and `doorstep export` write it): GDAL's Shapefile driver takes it whole and then
            // lists the zip as its one file, hiding its parts; opened as a folder, its .shp, .shx and .dbf show.
            return .gdal(driver: "zip", path: "/vsizip/" + url.path)
        }
        if let driver, !ownReaders.contains(driver) {
            guard allowedDrivers.contains(driver) else { return .refused(driver: driver) }
            return .gdal(driver: driver, path: url.path)
        }
        if driver == "GeoJSON" || driver == "ESRIJSON" || driver == "TopoJSON" { return .geoJSON }
        if isZip {
            // A zip GDAL does not take as a format of its own: look inside (a zipped Shapefile, usually).
            return .gdal(driver: "zip", path: "/vsizip/" + url.path)
        }
        if ext == "json" || ext == "geojson" { return .geoJSON } // an empty or broken GeoJSON: its reader says what is wrong
        return .csv
    }

    /// The KML document of a KMZ: `doc.kml` by convention, else the first `.kml` at its top level.
    private static func mainKML(_ path: String) -> String? {
        let root = "/vsizip/" + path
        guard let list = VSIReadDir(root) else { return nil }
        defer { CSLDestroy(list) }
        var names = [String]()
        var i = 0
        while let p = list[i] { names.append(String(cString: p)); i += 1 }
        let kml = names.first { $0.lowercased() == "doc.kml" } ?? names.first { $0.lowercased().hasSuffix(".kml") }
        return kml.map { root + "/" + $0 }
    }

    package var name: String {
        switch self {
        case .geoJSON: return "GeoJSON"
        case .csv: return "CSV"
        case .gdal(let driver, _), .refused(let driver): return driver
        }
    }
}

