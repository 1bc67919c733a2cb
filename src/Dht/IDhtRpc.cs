using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>
/// What the DHT core needs from the network. The transport adapter implements it; the in-process
/// simulated network implements it in tests. A request that fails completes with an exception: a
/// <see cref="Overlay.Transport.TransportException"/> (unreachable, broken), a <see cref="Wire.DhtProtocolException"/>
/// (an answer that is malformed, lies, or refuses) or an <see cref="OperationCanceledException"/>. Callers count
/// those against the peer; any other exception is a local bug and is not the peer's failure.
/// </summary>
public interface IDhtRpc
{
    /// <summary>Checks that <paramref name="peer"/> is alive; completes when it answers.</summary>
    Task PingAsync(DhtPeer peer, CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="peer"/> for the k peers it knows closest to <paramref name="target"/>.</summary>
    Task<IReadOnlyList<DhtPeer>> FindNodeAsync(DhtPeer peer, PeerId target, CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="peer"/> for the record under <paramref name="key"/>, or closer peers.</summary>
    Task<FindValueResponse> FindValueAsync(DhtPeer peer, PeerId key, CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="peer"/> to store <paramref name="record"/>; completes with its verdict.</summary>
    Task<RecordRejection> StoreAsync(DhtPeer peer, DhtRecord record, CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="peer"/> for the provider records it holds under <paramref name="key"/>.</summary>
    Task<IReadOnlyList<ProviderRecord>> FindProvidersAsync(DhtPeer peer, PeerId key, CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="peer"/> to keep a provider record; completes with its verdict.</summary>
    Task<RecordRejection> StoreProviderAsync(DhtPeer peer, ProviderRecord record, CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="peer"/> to keep a provider batch (one record per id); completes with its verdict.</summary>
    Task<RecordRejection> StoreProviderBatchAsync(DhtPeer peer, ProviderBatch batch, CancellationToken cancellationToken);
}
