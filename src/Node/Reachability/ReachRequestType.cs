namespace Overlay.Node.Reachability;

/// <summary>The type byte of a <c>reach/1</c> request.</summary>
public enum ReachRequestType : byte
{
    /// <summary>Answer with the responder's clock only.</summary>
    Time = 1,

    /// <summary>Dial the address in the request, expecting the asker's PeerId, and say whether that worked.</summary>
    DialBack = 2,
}
