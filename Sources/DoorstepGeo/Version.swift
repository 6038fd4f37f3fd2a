/// Doorstep's version, in one place: `doorstep --version`, `/health`'s `version` and `/api`'s `info.version` all read it.
public enum DoorstepVersion {
    public static let string = "0.4.0"
}
