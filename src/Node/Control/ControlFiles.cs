using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Overlay.Node.Control;

/// <summary>
/// The files through which local clients find and authenticate to the daemon's control API, all in the
/// data directory, all owner-only, replaced at every start and removed at a clean stop:
/// <c>control.endpoint</c> (<c>unix:PATH</c> or <c>127.0.0.1:PORT</c>), <c>control.token</c> (64 hex
/// digits) and, with a Unix socket, the socket <c>control.sock</c> itself.
/// </summary>
public static class ControlFiles
{
    public const string TokenFileName = "control.token";

    public const string EndpointFileName = "control.endpoint";

    public const string SocketFileName = "control.sock";

    /// <summary>How an endpoint file names a Unix socket: this prefix, then the socket's path.</summary>
    public const string UnixPrefix = "unix:";

    /// <summary>Token length in bytes.</summary>
    public const int TokenBytes = 32;

    public static string TokenPath(string dataDirectory) => Path.Combine(dataDirectory, TokenFileName);

    public static string EndpointPath(string dataDirectory) => Path.Combine(dataDirectory, EndpointFileName);

    public static string SocketPath(string dataDirectory) => Path.Combine(dataDirectory, SocketFileName);

    /// <summary>Makes a fresh random token from the OS CSPRNG and writes it readable by the owner only.</summary>
    public static byte[] CreateToken(string dataDirectory)
    {
        var token = RandomNumberGenerator.GetBytes(TokenBytes);
        WriteAtomically(TokenPath(dataDirectory), Convert.ToHexStringLower(token) + "\n");
        return token;
    }

    /// <summary>Publishes the endpoint clients should connect to.</summary>
    public static void WriteEndpoint(string dataDirectory, EndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var text = endpoint is UnixDomainSocketEndPoint unix ? UnixPrefix + unix : endpoint.ToString();
        WriteAtomically(EndpointPath(dataDirectory), text + "\n");
    }

    /// <summary>Removes every control file (a clean stop), ignoring files already gone.</summary>
    public static void Remove(string dataDirectory)
    {
        foreach (var path in new[] { EndpointPath(dataDirectory), TokenPath(dataDirectory), SocketPath(dataDirectory) })
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A stale file only makes clients try a closed endpoint and say no daemon runs.
            }
        }
    }

    /// <summary>
    /// Reads the endpoint file. A Unix socket is always <see cref="SocketPath"/> of
    /// <paramref name="dataDirectory"/> (the path in the file is for people), and a TCP endpoint must be
    /// loopback: anything else in the file is not the daemon's, and no token is sent to it.
    /// </summary>
    public static ControlEndpointStatus ReadEndpoint(string dataDirectory, out EndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        string text;
        try
        {
            text = ReadSmall(EndpointPath(dataDirectory)).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return ControlEndpointStatus.Missing;
        }
        catch (UnauthorizedAccessException)
        {
            return ControlEndpointStatus.Unreadable;
        }
        catch (IOException)
        {
            return ControlEndpointStatus.Invalid;
        }

        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            try
            {
                endpoint = new UnixDomainSocketEndPoint(SocketPath(dataDirectory));
                return ControlEndpointStatus.Found;
            }
            catch (ArgumentException)
            {
                // A path longer than a Unix socket address holds: the daemon cannot have bound it either.
                return ControlEndpointStatus.Invalid;
            }
        }

        if (!IPEndPoint.TryParse(text, out var parsed) || !IPAddress.IsLoopback(parsed.Address) || parsed.Port == 0)
        {
            return ControlEndpointStatus.Invalid;
        }

        endpoint = parsed;
        return ControlEndpointStatus.Found;
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

    private static void WriteAtomically(string path, string text) =>
        DurableFile.Write(path, System.Text.Encoding.UTF8.GetBytes(text), flushToDisk: false);
}
