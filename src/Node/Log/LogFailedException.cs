namespace RaftKV.Node.Log;

/// <summary>
/// A write or sync of the log failed earlier. After a failed fsync the kernel may have dropped the dirty pages and
/// report success on a retry (Linux does), so the log never retries: it refuses every later operation and the host
/// restarts the node, which recovers from what is really on disk.
/// </summary>
internal sealed class LogFailedException(string message, Exception inner) : IOException(message, inner);
