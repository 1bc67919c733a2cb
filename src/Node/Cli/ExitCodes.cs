namespace Overlay.Node.Cli;

/// <summary>Process exit codes (sysexits.h values where one fits).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran but failed (unreachable peer, missing identity, I/O error).</summary>
    public const int Failure = 1;

    /// <summary><c>overlay get</c>: no value is stored under the key.</summary>
    public const int NotFound = 3;

    /// <summary>The command line was not understood.</summary>
    public const int Usage = 64;

    /// <summary>An input file (key file, data) is unusable, or a value is larger than the DHT accepts.</summary>
    public const int DataError = 65;

    /// <summary>No daemon is running for the data directory (no control endpoint, or nothing listens on it).</summary>
    public const int Unavailable = 69;

    /// <summary><c>overlay put</c>: the node could not save the value to dht.db, so the put was not acknowledged.</summary>
    public const int IoError = 74;

    /// <summary><c>overlay put</c>: fewer peers than required accepted the value (it is kept on the node); trying again later may succeed.</summary>
    public const int TooFewReplicas = 75;

    /// <summary>This user may not read the data directory or its control files, or the daemon refused the control token.</summary>
    public const int NoPermission = 77;

    /// <summary>The configuration is invalid, or asks for a listen address or control socket this host cannot give.</summary>
    public const int Config = 78;
}
