namespace Overlay.Node.Files;

/// <summary>Why a store or fetch of a file failed (the control API's reply names it).</summary>
public enum FileError
{
    /// <summary>The manifest fetched did not decode or verify (<see cref="FileException.ManifestError"/> says why).</summary>
    BadManifest,

    /// <summary>No holder gave the manifest.</summary>
    ManifestNotFound,

    /// <summary>Fewer than k shards of a stripe could be fetched and verified.</summary>
    StripeUnavailable,

    /// <summary>A shard of a stripe could be placed on no holder.</summary>
    PlacementFailed,

    /// <summary>The file fetched does not hash to the manifest's BLAKE3 (nothing is presented as done).</summary>
    ContentMismatch,

    /// <summary>The source file cannot be read.</summary>
    ReadFailed,

    /// <summary>The destination (or its temporary file) cannot be written: a full disk, a read-only directory.</summary>
    WriteFailed,

    /// <summary>The range asked for is not inside the file.</summary>
    BadRange,

    /// <summary>The code or chunk size asked for is not valid for this node.</summary>
    BadParameters,

    /// <summary>The file is larger than a manifest may describe.</summary>
    TooLarge,
}
