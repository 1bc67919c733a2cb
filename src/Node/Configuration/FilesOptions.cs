using System.Globalization;
using Overlay.Erasure;
using Overlay.Node.Files;
using Overlay.Storage;

namespace Overlay.Node.Configuration;

/// <summary>
/// The <c>Files</c> section: how <c>overlay store</c> cuts a file into stripes and codes them, and how
/// <c>overlay fetch</c> gets them back (docs/FILES.md). Defaults equal node.config.json.
/// </summary>
public sealed class FilesOptions
{
    public const string SectionName = "Files";

    /// <summary>
    /// Bytes of the file per stripe. Default: 10 MiB (with 10+4, shards of 1 MiB, the default
    /// Storage:MaxShardBytes: each shard's fixed cost, a stream, a signed receipt, its check and a book
    /// write, is spread over as many bytes as holders keep in one shard, while one stripe in memory stays
    /// 14 MiB). Range 4 KiB–256 MiB; each shard (ChunkBytes / DataShards) must fit Storage:MaxShardBytes.
    /// </summary>
    public int ChunkBytes { get; set; } = 10 << 20;

    /// <summary>k: data shards per stripe. Default: 10; range 1–255 with k + m ≤ 256.</summary>
    public int DataShards { get; set; } = 10;

    /// <summary>m: parity shards per stripe, how many shards of a stripe may be lost. Default: 4; range 1–255 with k + m ≤ 256.</summary>
    public int ParityShards { get; set; } = 4;

    /// <summary>Holders each shard of a file is placed on (the code already gives redundancy). Default: 1; range 1–8.</summary>
    public int HoldersPerShard { get; set; } = 1;

    /// <summary>Shard transfers one store or fetch runs at once. Default: 16; range 1–256.</summary>
    public int ParallelShards { get; set; } = 16;

    /// <summary>How long a fetch waits on a shard before it also asks for another shard of the stripe (a hedged request). Default: 2 s; range 10 ms–10 min.</summary>
    public TimeSpan HedgeAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Problems with these values, one sentence each; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (ChunkBytes is < ManifestCodec.MinChunkBytes or > ManifestCodec.MaxChunkBytes)
        {
            yield return OptionProblem.Describe(SectionName, nameof(ChunkBytes), ChunkBytes, $"it must be between {ManifestCodec.MinChunkBytes} and {ManifestCodec.MaxChunkBytes}");
        }

        if (DataShards is < 1 or > 255)
        {
            yield return OptionProblem.Describe(SectionName, nameof(DataShards), DataShards, "it must be between 1 and 255");
        }

        if (ParityShards is < 1 or > 255)
        {
            yield return OptionProblem.Describe(SectionName, nameof(ParityShards), ParityShards, "it must be between 1 and 255");
        }

        if (ReedSolomonCodec.Validate(DataShards, ParityShards) != ErasureError.None)
        {
            yield return OptionProblem.Describe(SectionName, nameof(ParityShards), ParityShards, $"it must be 1 or more, and DataShards + ParityShards at most {ReedSolomonCodec.MaxTotalShards}");
        }
        else if (FileManifest.ShardLength(ChunkBytes, DataShards) > StorageOptions.MaxShardBytesLimit)
        {
            yield return OptionProblem.Describe(SectionName, nameof(ChunkBytes), ChunkBytes, $"ChunkBytes / DataShards must be at most {StorageOptions.MaxShardBytesLimit}");
        }

        if (HoldersPerShard is < 1 or > 8)
        {
            yield return OptionProblem.Describe(SectionName, nameof(HoldersPerShard), HoldersPerShard, "it must be between 1 and 8");
        }

        if (ParallelShards is < 1 or > 256)
        {
            yield return OptionProblem.Describe(SectionName, nameof(ParallelShards), ParallelShards, "it must be between 1 and 256");
        }

        if (HedgeAfter < TimeSpan.FromMilliseconds(10) || HedgeAfter > TimeSpan.FromMinutes(10))
        {
            yield return OptionProblem.Describe(SectionName, nameof(HedgeAfter), HedgeAfter.ToString("c", CultureInfo.InvariantCulture), "it must be between 00:00:00.01 and 00:10:00");
        }
    }
}
