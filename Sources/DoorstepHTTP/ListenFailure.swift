import Foundation
import NIOCore

/// Why a server could not start listening on `host:port`, in one line that names the address: `doorstep serve`
/// reports it (non-zero exit) before it ever says it serves.
public struct ListenFailure: Error, CustomStringConvertible {
    public let description: String

    /// `error` was thrown before the socket listened.
    public init(_ error: any Error, host: String, port: Int) {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let reason: String
        switch (error as? IOError)?.errnoCode {
        case EADDRINUSE: reason = "the address is already in use (another server listens there; choose another --port)"
        case EACCES: reason = "permission denied (ports below 1024 need privileges; choose another --port)"
        case EADDRNOTAVAIL: reason = "no network interface of this machine has that address (check --host)"
        default: reason = String(describing: error)
        }
        description = "cannot listen on \(address): \(reason)"
    }
}
