namespace Overlay.Node.Files;

/// <summary>Why bytes offered as a file manifest were refused (docs/FILES.md, "Manifest"). Each is counted by the caller.</summary>
public enum ManifestError
{
    /// <summary>The manifest is valid.</summary>
    None,

    /// <summary>No bytes.</summary>
    Empty,

    /// <summary>The bytes end inside a field.</summary>
    Truncated,

    /// <summary>The first four bytes are not "OVMF".</summary>
    BadMagic,

    /// <summary>A version this node does not read.</summary>
    UnsupportedVersion,

    /// <summary>A manifest kind other than the one expected (a file, or a directory).</summary>
    UnknownKind,

    /// <summary>The encoding is longer than <see cref="ManifestCodec.MaxEncodedBytes"/>.</summary>
    TooLarge,

    /// <summary>The file size is above <see cref="ManifestCodec.MaxFileBytes"/>.</summary>
    FileSizeOutOfRange,

    /// <summary>The chunk size is outside <see cref="ManifestCodec.MinChunkBytes"/>–<see cref="ManifestCodec.MaxChunkBytes"/>.</summary>
    ChunkSizeOutOfRange,

    /// <summary>The code parameters are not a valid Reed–Solomon code (k ≥ 1, m ≥ 1, k + m ≤ 256).</summary>
    BadCode,

    /// <summary>A chunk split into k shards gives shards larger than any node keeps.</summary>
    ShardTooLarge,

    /// <summary>The stripe count is not what the file size and chunk size give.</summary>
    StripeCountMismatch,

    /// <summary>The shard list is not stripe count × (k + m) ids.</summary>
    ShardListMismatch,

    /// <summary>The name is not valid UTF-8, holds a control character or a path separator, or is "." or "..".</summary>
    BadName,

    /// <summary>The media type is not printable ASCII.</summary>
    BadMediaType,

    /// <summary>The creation time is outside 1970–9999.</summary>
    BadTime,

    /// <summary>The owner key does not decode.</summary>
    BadKey,

    /// <summary>The signature's length is not the one the owner key's scheme makes.</summary>
    BadSignatureLength,

    /// <summary>The signature does not verify with the owner key.</summary>
    BadSignature,

    /// <summary>Bytes follow the signature.</summary>
    TrailingBytes,

    /// <summary>A directory entry's path is empty, too long, not UTF-8, absolute, or has an empty, ".", ".." or control-character component.</summary>
    BadPath,

    /// <summary>A directory's entries are not in strictly ascending byte order of their paths (so a path appears twice).</summary>
    UnsortedEntries,

    /// <summary>A directory entry's path is a folder of another entry's path (a file cannot also be a folder).</summary>
    PathConflict,

    /// <summary>A directory entry's mode byte has bits other than the executable bit.</summary>
    BadMode,
}
