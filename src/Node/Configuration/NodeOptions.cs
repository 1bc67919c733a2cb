namespace Overlay.Node.Configuration;

/// <summary>The <c>Node</c> section: where the node keeps its state and where it is in the world.</summary>
public sealed class NodeOptions
{
    public const string SectionName = "Node";

    /// <summary>
    /// Folder for the identity key, the database and the control token. Empty: <c>--data-dir</c>,
    /// else <c>$OVERLAY_DATA_DIR</c>, else <c>/var/lib/overlay</c> under systemd as root, else the
    /// per-user data folder (<c>$XDG_DATA_HOME/overlay</c> or <c>~/.local/share/overlay</c>).
    /// </summary>
    public string DataDirectory { get; set; } = string.Empty;

    /// <summary>
    /// Free-form region hint such as <c>eu-west</c> (lowercase letters, digits and '-', at most 64
    /// characters); seeds network coordinates before any round trip has been measured.
    /// </summary>
    public string Region { get; set; } = string.Empty;

    /// <summary>Latitude hint in degrees, -90 to 90; set together with <see cref="Longitude"/> or not at all.</summary>
    public double? Latitude { get; set; }

    /// <summary>Longitude hint in degrees, -180 to 180; set together with <see cref="Latitude"/> or not at all.</summary>
    public double? Longitude { get; set; }

    /// <summary>Seconds the node may take to stop cleanly after SIGINT/SIGTERM, 1 to 60.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 5;

    /// <summary>Problems with these values, one sentence each; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (Region.Length > 64 || !IsRegionText(Region))
        {
            yield return OptionProblem.Describe(SectionName, nameof(Region), Region, "a region uses lowercase letters, digits and '-', at most 64 characters");
        }

        if (Latitude.HasValue != Longitude.HasValue)
        {
            yield return $"'{SectionName}:{nameof(Latitude)}' and '{SectionName}:{nameof(Longitude)}' go together; set both or neither.";
        }

        if (Latitude is { } latitude && (double.IsNaN(latitude) || latitude < -90 || latitude > 90))
        {
            yield return OptionProblem.Describe(SectionName, nameof(Latitude), latitude, "it must be between -90 and 90 degrees");
        }

        if (Longitude is { } longitude && (double.IsNaN(longitude) || longitude < -180 || longitude > 180))
        {
            yield return OptionProblem.Describe(SectionName, nameof(Longitude), longitude, "it must be between -180 and 180 degrees");
        }

        if (ShutdownTimeoutSeconds is < 1 or > 60)
        {
            yield return OptionProblem.Describe(SectionName, nameof(ShutdownTimeoutSeconds), ShutdownTimeoutSeconds, "it must be between 1 and 60");
        }
    }

    private static bool IsRegionText(string region)
    {
        foreach (var c in region)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
