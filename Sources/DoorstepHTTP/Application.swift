import DoorstepGeo
import Hummingbird
import Logging

/// Options of `doorstep serve`.
public struct ServeOptions: Sendable {
    public var databasePath: String
    public var host: String
    public var port: Int

    public init(databasePath: String, host: String = "127.0.0.1", port: Int = 8080) {
        self.databasePath = databasePath
        self.host = host
        self.port = port
    }
}

/// Builds the router of the Doorstep service.
public func buildRouter() -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/health") { _, _ in "ok" }
    return router
}
