namespace RaftKV.StateMachine.Values;

/// <summary>How Redis 7.0 would have stored a string, which decides what OBJECT ENCODING reports.</summary>
internal enum StringEncoding : byte
{
    /// <summary>Passed through Redis's tryObjectEncoding (SET and friends): int, embstr or raw by content.</summary>
    ByContent = 0,

    /// <summary>Built as a plain string object (INCRBYFLOAT): embstr or raw by length, never int.</summary>
    ByLength = 1,

    /// <summary>Modified in place (APPEND to an existing key, SETRANGE): always raw.</summary>
    Raw = 2,
}
