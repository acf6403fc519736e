"""DynamoDB expressions: lexer, parser (to an AST), evaluator, update applier and projection."""
