namespace RaftKV.StateMachine.Commands.Kv;

/// <summary>One compare: <c>key target op operand</c>.</summary>
internal sealed record TxnCompare(byte[] Key, TxnTarget Target, byte[] Operator, byte[] Operand);
