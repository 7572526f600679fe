// Package deploy holds no code, only tests of the deployment files at the
// repository root: docker-compose.yml, Dockerfile, .dockerignore, .env.example
// and Taskfile.yml. No Docker engine runs where the tests run, so the files
// are parsed and checked for what would otherwise only fail at deploy time —
// a hard-coded secret, a missing variable, a root container, a dropped task.
package deploy
