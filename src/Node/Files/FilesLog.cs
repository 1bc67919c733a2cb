using Microsoft.Extensions.Logging;
using Overlay.Storage;

namespace Overlay.Node.Hosting;

/// <summary>Log messages of the file layer (EventIds 5200–5249), in the node's one <c>Log</c> class.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Stored {Bytes} bytes as content {ContentId}: {Stripes} stripes of {DataShards}+{ParityShards}, {Shards} shards on {Holders} holders; stripes placed in {StripesMs:0} ms, manifest in {ManifestMs:0} ms, content book in {BookMs:0} ms")]
    public static partial void FileStored(ILogger logger, long bytes, ShardId contentId, int stripes, int dataShards, int parityShards, int shards, int holders, double stripesMs, double manifestMs, double bookMs);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Fetched content {ContentId} ({Bytes} bytes) to {Path}: {StripesResumed} stripes resumed, {Hedges} hedged requests, {ShardsFailed} shards failed")]
    public static partial void FileFetched(ILogger logger, ShardId contentId, long bytes, string path, long stripesResumed, long hedges, long shardsFailed);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "The {Operation} of {Target} failed: {Error} ({Detail})")]
    public static partial void FileOperationFailed(ILogger logger, string operation, string target, string error, string detail);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Debug, Message = "File shard {Shard}: {Outcome}")]
    public static partial void FileShardOutcome(ILogger logger, ShardId shard, string outcome);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "Stripe {Stripe} of the partial fetch {Path} changed on disk; fetching it again")]
    public static partial void FileStripeChanged(ILogger logger, int stripe, string path);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Information, Message = "Stored a directory of {Files} files ({Bytes} bytes) as content {ContentId}; {Skipped} symbolic links skipped")]
    public static partial void DirectoryStored(ILogger logger, ShardId contentId, int files, long bytes, int skipped);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Information, Message = "Fetched directory {ContentId} ({Files} files, {Bytes} bytes) to {Path}")]
    public static partial void DirectoryFetched(ILogger logger, ShardId contentId, int files, long bytes, string path);
}
