using Overlay.Crypto;
using Overlay.Dht.Wire;

namespace Overlay.Benchmarks.Dht;

/// <summary>Encoded FIND_NODE requests for random targets, from one sender address, for the serving benchmarks.</summary>
internal static class FindNodeRequests
{
    public const string SenderAddress = "tcp://127.0.0.1:4002";

    public static byte[][] Create(int count, Random random)
    {
        var requests = new byte[count][];
        for (var i = 0; i < requests.Length; i++)
        {
            var buffer = new byte[DhtMessageCodec.LookupRequestLength(SenderAddress)];
            DhtMessageCodec.WriteLookupRequest(buffer, DhtMessageType.FindNode, SenderAddress, PeerId.Random(random));
            requests[i] = buffer;
        }

        return requests;
    }
}
