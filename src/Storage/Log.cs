using Microsoft.Extensions.Logging;

namespace Overlay.Storage;

/// <summary>The store's log events (EventIds 3000–3099). Shard bytes are never logged; ids are content hashes, not secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Shard store {Path} opened: {ShardCount} shards of {UsedBytes} bytes, {ChargedBytes} of the {CapacityBytes}-byte quota charged")]
    public static partial void Opened(ILogger logger, string path, long shardCount, long usedBytes, long chargedBytes, long capacityBytes);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Shard {ShardId} in {Path} failed verification ({Reason}, found by {Source}); quarantined and not served")]
    public static partial void Corrupted(ILogger logger, ShardId shardId, string path, string reason, string source);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "A write to {Path} failed ({Reason}); nothing of it was committed")]
    public static partial void WriteFailed(ILogger logger, string path, StorageErrorReason reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Scrub of {Path} finished: {Checked} checked, {Ok} ok, {Corrupted} corrupted, {Unreadable} unreadable, {DamagedPages} structure problems")]
    public static partial void Scrubbed(ILogger logger, string path, long @checked, long ok, int corrupted, int unreadable, int damagedPages);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Collected {Count} expired shards and released {Holds} expired holds in {Path}")]
    public static partial void Collected(ILogger logger, int count, int holds, string path);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Merged {Count} recent shards into the id index of {Path} in {Milliseconds} ms")]
    public static partial void Merged(ILogger logger, string path, int count, double milliseconds);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Merging {Count} recent shards into the id index of {Path} failed ({Reason}); they stay in the log and are still served")]
    public static partial void MergeFailed(ILogger logger, string path, int count, StorageErrorReason reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Debug, Message = "Id filter of {Path} built: {Count} ids, {Bytes} bytes, in {Milliseconds} ms")]
    public static partial void FilterBuilt(ILogger logger, string path, long count, long bytes, double milliseconds);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Building the id filter of {Path} failed ({Reason}); duplicate checks keep reading the index")]
    public static partial void FilterFailed(ILogger logger, string path, StorageErrorReason reason);
}
