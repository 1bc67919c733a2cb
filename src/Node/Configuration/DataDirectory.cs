namespace Overlay.Node.Configuration;

/// <summary>Resolves and prepares the node's data directory.</summary>
public static class DataDirectory
{
    /// <summary>Where a node run as a system service keeps its state.</summary>
    public const string SystemServicePath = "/var/lib/overlay";

    /// <summary>
    /// The data directory: the explicit choice if any, else <c>$OVERLAY_DATA_DIR</c>, else
    /// <see cref="SystemServicePath"/> when started by systemd as root, else the per-user data folder.
    /// </summary>
    public static string Resolve(string? explicitPath, string? configured, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
        }

        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        var fromEnvironment = environment("OVERLAY_DATA_DIR");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        // systemd sets INVOCATION_ID for every unit it starts.
        if (!string.IsNullOrEmpty(environment("INVOCATION_ID")) && Environment.UserName == "root")
        {
            return SystemServicePath;
        }

        var xdg = environment("XDG_DATA_HOME");
        var home = environment("HOME");
        var baseDirectory = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(!string.IsNullOrWhiteSpace(home) ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(baseDirectory, "overlay");
    }

    /// <summary>Creates the directory (mode 0700: it holds the identity key) if it does not exist.</summary>
    public static void Ensure(string path)
    {
        try
        {
            if (!Directory.Exists(path))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(path);
                }
                else
                {
                    Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"The data directory '{path}' cannot be created: {e.Message}", e);
        }
    }

    /// <summary>
    /// Throws <see cref="DataDirectoryAccessException"/> when <paramref name="path"/> exists but this user
    /// cannot list it or reach the files in it (a node keeps its data directory to its own user, mode
    /// 0700), so a command says so instead of taking the unreadable files for missing ones. A directory
    /// that does not exist passes: each command says in its own words what is missing.
    /// </summary>
    public static void RequireAccessible(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            // stat() of "DIR/." needs search permission on the directory and every directory above it,
            // and listing it needs read permission.
            _ = File.GetUnixFileMode(Path.Combine(path, "."));
            using var entries = Directory.EnumerateFileSystemEntries(path).GetEnumerator();
            _ = entries.MoveNext();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DataDirectoryAccessException(path, e);
        }
        catch (IOException)
        {
            // Missing, or not a directory: left to the command.
        }
    }
}
