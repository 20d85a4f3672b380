"""便民服务 (convenience services): service points, catalogue, applications, ratings,
12345, Open311."""
