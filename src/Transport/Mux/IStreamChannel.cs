namespace Overlay.Transport.Mux;

/// <summary>
/// Streams carried beside a connection's frame link instead of inside it: on QUIC each
/// <see cref="TransportStream"/> is a QUIC stream of its own, so bulk bytes never hold up the frames
/// of requests and messages (and one stream's losses never hold up another's). A connection with a
/// channel refuses stream frames on its link.
/// </summary>
internal interface IStreamChannel
{
    /// <summary>Streams open now, in both directions.</summary>
    int Count { get; }

    /// <summary>Opens a stream for <paramref name="protocol"/>; its header names the protocol.</summary>
    ValueTask<TransportStream> OpenAsync(ProtocolId protocol, CancellationToken cancellationToken);

    /// <summary>Starts taking the peer's streams; each is resolved and served through <paramref name="connection"/>.</summary>
    void Start(MuxConnection connection);

    /// <summary>Fails every open stream and stops taking new ones (the connection is torn down).</summary>
    void Abort(TransportException failure);
}
