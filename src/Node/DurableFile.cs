namespace Overlay.Node;

/// <summary>
/// Writes small state files so that a crash leaves the old or the new content, never a mix: a temporary file
/// created 0600 (so a secret in it is never readable by others, not even briefly), flushed, renamed over the old one.
/// </summary>
internal static class DurableFile
{
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes, bool flushToDisk = true)
    {
        var temporary = path + ".tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
