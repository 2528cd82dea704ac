using System.IO.Pipelines;

namespace RaftKV.Node;

/// <summary>A reader and a writer handed to a connection's user as its transport (the Raft transport's and the RESP event loop's connections).</summary>
internal sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
