using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Node.Shards;

namespace Overlay.Node.Files;

/// <summary>
/// The node's file layer: stores and fetches files over the shard exchange's owner, keeps the content
/// book (what this node stored and pins) and the running operations. Storers and fetchers are built per
/// operation from the owner of the moment, so they never outlive a stopped shard exchange.
/// </summary>
public sealed class FileService : IDisposable
{
    private readonly ShardExchangeService _shards;
    private readonly NodeIdentityHolder _identity;
    private readonly FilesOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, Stream>? _openPartial;
    private readonly Func<IReadOnlyDictionary<PeerId, double>>? _roundTrips;

    /// <summary>
    /// Creates the service; <paramref name="contentDirectory"/> holds the content book, and
    /// <paramref name="roundTrips"/> gives the measured round trip to each peer in milliseconds (the routing
    /// table's), read once per fetch to rank holders.
    /// </summary>
    public FileService(
        ShardExchangeService shards, NodeIdentityHolder identity, FilesOptions options, string contentDirectory, TimeProvider time, IMeterFactory meterFactory,
        ILogger logger, Func<string, Stream>? openPartial = null, Func<IReadOnlyDictionary<PeerId, double>>? roundTrips = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _shards = shards;
        _identity = identity;
        _options = options;
        _time = time;
        _logger = logger;
        _openPartial = openPartial;
        _roundTrips = roundTrips;
        Book = new ContentBook(contentDirectory);
        Metrics = new FileMetrics(meterFactory.Create(FileMetrics.MeterName));
        Operations = new FileOperations(time);
    }

    /// <summary>What this node stored and pins.</summary>
    public ContentBook Book { get; }

    /// <summary>The file layer's counters.</summary>
    public FileMetrics Metrics { get; }

    /// <summary>Stores and fetches running or recently finished.</summary>
    public FileOperations Operations { get; }

    /// <summary>The options in force.</summary>
    public FilesOptions Options => _options;

    /// <summary>The shard exchange's owner; null while it is not running.</summary>
    public ShardOwner? Owner => _shards.Owner;

    /// <summary>A storer over the running owner.</summary>
    /// <exception cref="InvalidOperationException">The shard exchange is not running.</exception>
    public FileStorer Storer() =>
        new(_identity.Identity, new OwnerShardPlacer(RequireOwner()), Book, _options, _shards.MaxShardBytes, _time, _logger);

    /// <summary>A directory storer over the running owner, storing each file with <see cref="Storer"/>.</summary>
    /// <exception cref="InvalidOperationException">The shard exchange is not running.</exception>
    public DirectoryStorer DirectoryStorer() =>
        new(_identity.Identity, Storer, new OwnerShardPlacer(RequireOwner()), Book, _options, _shards.MaxShardBytes, _time, _logger);

    /// <summary>A directory fetcher over <paramref name="files"/>.</summary>
    public DirectoryFetcher DirectoryFetcher(FileFetcher files) => new(files, Metrics, _logger);

    /// <summary>A fetcher over the running owner (or <paramref name="source"/>, which tests give).</summary>
    /// <exception cref="InvalidOperationException">The shard exchange is not running.</exception>
    public FileFetcher Fetcher(IShardSource? source = null)
    {
        source ??= new OwnerShardSource(RequireOwner(), _roundTrips?.Invoke());
        return new FileFetcher(source, new StripeFetcher(source, _time, _options.HedgeAfter, Metrics, _logger), _options, Metrics, _logger, _openPartial);
    }

    /// <inheritdoc/>
    public void Dispose() => Operations.Dispose();

    private ShardOwner RequireOwner() => _shards.Owner ?? throw new InvalidOperationException("The shard exchange is not running (the node is starting or stopping).");
}
