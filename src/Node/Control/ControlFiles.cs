using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace Overlay.Node.Control;

/// <summary>
/// The two files through which local clients find and authenticate to the daemon's control API:
/// <c>control.endpoint</c> (<c>127.0.0.1:PORT</c>) and <c>control.token</c> (64 hex digits, mode 0600),
/// both in the data directory, both replaced at every start and removed at a clean stop.
/// </summary>
public static class ControlFiles
{
    public const string TokenFileName = "control.token";

    public const string EndpointFileName = "control.endpoint";

    /// <summary>Token length in bytes.</summary>
    public const int TokenBytes = 32;

    public static string TokenPath(string dataDirectory) => Path.Combine(dataDirectory, TokenFileName);

    public static string EndpointPath(string dataDirectory) => Path.Combine(dataDirectory, EndpointFileName);

    /// <summary>Makes a fresh random token from the OS CSPRNG and writes it readable by the owner only.</summary>
    public static byte[] CreateToken(string dataDirectory)
    {
        var token = RandomNumberGenerator.GetBytes(TokenBytes);
        WriteAtomically(TokenPath(dataDirectory), Convert.ToHexStringLower(token) + "\n");
        return token;
    }

    /// <summary>Publishes the endpoint clients should connect to.</summary>
    public static void WriteEndpoint(string dataDirectory, IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        WriteAtomically(EndpointPath(dataDirectory), endpoint.ToString() + "\n");
    }

    /// <summary>Removes both files (a clean stop), ignoring files already gone.</summary>
    public static void Remove(string dataDirectory)
    {
        foreach (var path in new[] { EndpointPath(dataDirectory), TokenPath(dataDirectory) })
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A stale file only makes clients try a closed port and say no daemon runs.
            }
        }
    }

    /// <summary>Reads the endpoint file; false when it is missing or does not hold a loopback endpoint.</summary>
    public static bool TryReadEndpoint(string dataDirectory, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        string text;
        try
        {
            text = ReadSmall(EndpointPath(dataDirectory));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // Only loopback is ever written: anything else in the file is not ours and is not dialled.
        if (!IPEndPoint.TryParse(text.Trim(), out var parsed) || !IPAddress.IsLoopback(parsed.Address) || parsed.Port == 0)
        {
            return false;
        }

        endpoint = parsed;
        return true;
    }

    /// <summary>Reads the token file; throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when unreadable, <see cref="FormatException"/> when malformed.</summary>
    public static byte[] ReadToken(string dataDirectory)
    {
        var text = ReadSmall(TokenPath(dataDirectory)).Trim();
        if (text.Length != TokenBytes * 2)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{TokenPath(dataDirectory)} does not hold {TokenBytes * 2} hex digits."));
        }

        return Convert.FromHexString(text);
    }

    private static string ReadSmall(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > 256)
        {
            throw new IOException($"{path} is {info.Length} bytes long; the daemon writes fewer than 256.");
        }

        return File.ReadAllText(path);
    }

    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created 0600 from the start, so the token is never readable by others, not even briefly.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
