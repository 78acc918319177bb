module github.com/gcwatch/gcwatch

go 1.26.8
