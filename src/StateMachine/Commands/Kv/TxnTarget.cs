namespace RaftKV.StateMachine.Commands.Kv;

/// <summary>What a Txn compare looks at.</summary>
internal enum TxnTarget
{
    /// <summary>The string value, compared as bytes in ordinal order; false for a missing key or another type.</summary>
    Value,

    /// <summary>The modification revision; 0 for a missing key.</summary>
    Mod,

    /// <summary>1 for a live key, 0 for a missing one.</summary>
    Exists,
}
