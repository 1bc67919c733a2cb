using Microsoft.Win32.SafeHandles;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// Key files on disk: reading one only when group and others cannot reach it, and writing one so that
/// the path never holds a half-written or world-readable key (a 0600 temporary file, flushed, then a
/// no-replace rename, or for a migration a rename over the file it was read from). Every failure is a
/// <see cref="KeyFileException"/>. What the bytes mean is <see cref="KeyFileFormat"/>'s.
/// </summary>
internal static class KeyFileIO
{
    /// <summary>Opens, checks the mode of and reads the file into <paramref name="data"/>; returns the length read.</summary>
    public static int ReadPrivateFile(string path, Span<byte> data)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            CheckMode(handle, path);
            var total = 0;
            while (total < data.Length)
            {
                var read = RandomAccess.Read(handle, data[total..], total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KeyFileException(KeyFileError.NotFound, path, $"The identity key file '{path}' does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileError.IoError, path, $"The identity key file '{path}' could not be read: {e.Message.TrimEnd('.')}.", e);
        }
    }

    private static void CheckMode(SafeFileHandle handle, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows protects the file through its ACL, which the profile directory already restricts.
            return;
        }

        const UnixFileMode groupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        var mode = File.GetUnixFileMode(handle);
        if ((mode & groupOrOthers) != 0)
        {
            var octal = Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
            throw new KeyFileException(KeyFileError.PermissionsTooOpen, path,
                $"The identity key file '{path}' has mode {octal}, which gives group or others access to it; run 'chmod 600 {path}' so only its owner can.");
        }
    }

    /// <summary>Writes a new key file at <paramref name="fullPath"/>; never replaces one that exists.</summary>
    public static void WriteNew(string path, string fullPath, ReadOnlySpan<byte> image)
    {
        var temporary = WriteTemporary(path, fullPath, image);
        var moved = false;
        try
        {
            // No-replace rename (link + unlink on Unix): fails if the key appeared meanwhile, and the
            // path holds either nothing or the complete file.
            File.Move(temporary, fullPath, overwrite: false);
            moved = true;
        }
        catch (IOException) when (File.Exists(fullPath))
        {
            throw AlreadyExists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileError.IoError, path, $"The identity key file '{path}' could not be written: {e.Message.TrimEnd('.')}.", e);
        }
        finally
        {
            if (!moved)
            {
                TryDelete(temporary);
            }
        }
    }

    /// <summary>Writes <paramref name="image"/> to a new 0600 temporary file beside the key file, flushed to disk; returns its path.</summary>
    private static string WriteTemporary(string path, string fullPath, ReadOnlySpan<byte> image)
    {
        var directory = Path.GetDirectoryName(fullPath)!;
        Span<byte> suffix = stackalloc byte[8];
        SodiumLibrary.RandomBytes(suffix);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Convert.ToHexStringLower(suffix) + ".tmp");
        var written = false;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                // Unbuffered: no managed buffer ever holds the seed.
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows())
            {
                // Born 0600 (the umask can only remove bits), so the secret is never briefly world-readable.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(image);
                stream.Flush(flushToDisk: true);
            }

            written = true;
            return temporary;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileError.IoError, path, $"The identity key file '{path}' could not be written: {e.Message.TrimEnd('.')}.", e);
        }
        finally
        {
            if (!written)
            {
                TryDelete(temporary);
            }
        }
    }

    /// <summary>
    /// Atomically replaces the key file with <paramref name="image"/>: a 0600 temporary file, flushed, then
    /// renamed over the path, so the path always holds either the old or the new complete file. Refuses
    /// (and leaves the file alone) when the file no longer holds <paramref name="expected"/>, which narrows
    /// the window for a second process rewriting it meanwhile to the rename itself; one node runs per
    /// data directory, so that window is not expected to be reached.
    /// </summary>
    public static void Replace(string path, string fullPath, ReadOnlySpan<byte> image, ReadOnlySpan<byte> expected)
    {
        var temporary = WriteTemporary(path, fullPath, image);
        var moved = false;
        Span<byte> current = stackalloc byte[KeyFileFormat.MaxFileSize + 1];
        try
        {
            var length = ReadPrivateFile(path, current);
            if (!current[..length].SequenceEqual(expected))
            {
                throw new KeyFileException(KeyFileError.IoError, path,
                    $"The identity key file '{path}' changed while it was being migrated to the hybrid format; start the node again.");
            }

            File.Move(temporary, fullPath, overwrite: true);
            moved = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileError.IoError, path, $"The identity key file '{path}' could not be rewritten: {e.Message.TrimEnd('.')}.", e);
        }
        finally
        {
            SodiumLibrary.Zero(current);
            if (!moved)
            {
                TryDelete(temporary);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file is 0600 and named as one; failing to remove it must not
            // hide the error that got us here.
        }
    }

    public static KeyFileException AlreadyExists(string path) =>
        new(KeyFileError.AlreadyExists, path,
            $"The identity key file '{path}' already exists, and key files are never replaced; move it away first to create a new identity.");
}
