namespace Overlay.Node.Cli;

/// <summary>Process exit codes (sysexits.h values where one fits).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran but failed (unreachable peer, missing identity, I/O error).</summary>
    public const int Failure = 1;

    /// <summary>The command line was not understood.</summary>
    public const int Usage = 64;

    /// <summary>An input file (key file, data) is unusable.</summary>
    public const int DataError = 65;

    /// <summary>The configuration is invalid.</summary>
    public const int Config = 78;
}
