using System.IO.Pipelines;

namespace RaftKV.Node.Resp;

/// <summary>
/// A transport feature: an output writer that never pauses and sends on the flushing thread, with a count of the bytes
/// it has sent. A session writes its replies straight into it (<see cref="OutputBuffer.UseDirect"/>) instead of into a
/// buffer of its own drained into the transport: one pipe and one copy fewer per reply. The event loop's connections
/// offer it; Kestrel's socket transport, and TLS above any transport, do not.
/// </summary>
internal interface IDirectOutput
{
    PipeWriter Output { get; }

    /// <summary>Bytes handed to the socket so far.</summary>
    long SentBytes { get; }
}
