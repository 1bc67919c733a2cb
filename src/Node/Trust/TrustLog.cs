using Microsoft.Extensions.Logging;
using Overlay.Crypto;

namespace Overlay.Node.Hosting;

/// <summary>Log messages of <c>trust/1</c> (EventIds 5250–5269), in the node's one <c>Log</c> class.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5250, Level = LogLevel.Information, Message = "trust/1: pulling records from {Peers} peers every {Interval}, re-signing this node's row every {PublishInterval}, holding at most {MaxRecords} records")]
    public static partial void TrustExchangeStarted(ILogger logger, int peers, TimeSpan interval, TimeSpan publishInterval, int maxRecords);

    [LoggerMessage(EventId = 5251, Level = LogLevel.Debug, Message = "trust/1 pull from {Peer}: {Result}, {Listed} listed, {Fetched} fetched, {Accepted} accepted, {Refused} refused, {Bytes} bytes")]
    public static partial void TrustPulled(ILogger logger, PeerId peer, Overlay.Transport.Interactions.InteractionResult result, int listed, int fetched, int accepted, int refused, long bytes);

    [LoggerMessage(EventId = 5252, Level = LogLevel.Error, Message = "A round of trust/1 pulls failed ({Kind}: {Detail}); the next round goes on")]
    public static partial void TrustExchangeRoundFailed(ILogger logger, string kind, string detail);

    [LoggerMessage(EventId = 5253, Level = LogLevel.Information, Message = "trust/1 is off (Placement:TrustExchangeEnabled false): no record is signed, served or pulled; global trust comes from this node's own observations")]
    public static partial void TrustExchangeDisabled(ILogger logger);
}
